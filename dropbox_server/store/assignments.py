"""SQL for assignments: which member of a unit is handling a report, and each member's caseload."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database

Combos = list[tuple[str, str, str, int]]  # (outcome, conduct, channel, count)


class AssigneeRefused(Exception):
    """The database refused the assignee: not a key-holding member of the report's unit."""


@dataclass(frozen=True)
class AssignmentRow:
    staff_id: int
    assigned_by: int | None
    day: str


async def assignment_of(db: Database, seq: int) -> AssignmentRow | None:
    """The report's current assignee, or None when nobody is handling it."""
    row = await db.fetch_one(
        "SELECT staff_id, assigned_by, day FROM report_assignments WHERE report_seq = ?", (seq,)
    )
    if row is None:
        return None
    return AssignmentRow(int(row[0]), None if row[1] is None else int(row[1]), str(row[2]))


@dataclass(frozen=True)
class AssignmentChange:
    """A new assignee (None: nobody) for a report, given the assignee the supervisor saw."""

    seq: int
    unit_id: str
    staff_id: int | None
    assigned_by: int
    day: str
    seen: int | None


async def replace_assignment(db: Database, change: AssignmentChange, audit: PendingAudit) -> bool:
    """Set (or clear) the assignee and log it in one transaction.

    False, with nothing written, when the assignee is no longer `seen` (someone changed it
    meanwhile) or the report has left the unit. Raises AssigneeRefused, with nothing written,
    when the schema's trigger refuses the assignee (moved or removed since the caller looked).
    """
    async with db.transaction() as tx:
        cur = await tx.execute(
            "SELECT r.unit_id, a.staff_id FROM reports r "
            "LEFT JOIN report_assignments a ON a.report_seq = r.seq WHERE r.seq = ?",
            (change.seq,),
        )
        row = await cur.fetchone()
        current = None if row is None or row[1] is None else int(row[1])
        if row is None or row[0] != change.unit_id or current != change.seen:
            return False
        await tx.execute("DELETE FROM report_assignments WHERE report_seq = ?", (change.seq,))
        if change.staff_id is not None:
            await _insert_tx(tx, change)
        await append_tx(tx, audit)
    return True


async def _insert_tx(tx: aiosqlite.Connection, change: AssignmentChange) -> None:
    try:
        await tx.execute(
            "INSERT INTO report_assignments (report_seq, unit_id, staff_id, assigned_by, day) "
            "VALUES (?, ?, ?, ?, ?)",
            (change.seq, change.unit_id, change.staff_id, change.assigned_by, change.day),
        )
    except sqlite3.IntegrityError as exc:
        raise AssigneeRefused(str(change.staff_id)) from exc


async def caseloads(db: Database, unit_id: str) -> dict[int, int]:
    """How many of the unit's reports each member is assigned, from the trigger-kept counts."""
    rows = await db.fetch_all(
        "SELECT staff_id, reports FROM caseloads WHERE unit_id = ? AND reports > 0", (unit_id,)
    )
    return {int(r[0]): int(r[1]) for r in rows}


async def assigned_facets(db: Database, unit_id: str, staff_id: int | None) -> Combos:
    """(outcome, conduct, channel, count) of the unit's reports assigned to `staff_id` (None: anyone).

    Reads only assigned reports, so it costs the caseload, not the unit's size.
    """
    who, params = ("", [unit_id]) if staff_id is None else (" AND a.staff_id = ?", [unit_id, staff_id])
    rows = await db.fetch_all(
        "SELECT r.outcome, r.conduct, r.channel, count(*) FROM report_assignments a "  # noqa: S608
        f"JOIN reports r ON r.seq = a.report_seq WHERE a.unit_id = ?{who} "
        "GROUP BY r.outcome, r.conduct, r.channel",
        params,
    )
    return _combos(rows)


async def unassigned_facets(db: Database, unit_id: str) -> Combos:
    """(outcome, conduct, channel, count) of the unit's reports assigned to nobody."""
    rows = await db.fetch_all(
        "SELECT r.outcome, r.conduct, r.channel, count(*) FROM reports r "
        "LEFT JOIN report_assignments a ON a.report_seq = r.seq "
        "WHERE r.unit_id = ? AND a.report_seq IS NULL GROUP BY r.outcome, r.conduct, r.channel",
        (unit_id,),
    )
    return _combos(rows)


def _combos(rows: Iterable[aiosqlite.Row]) -> Combos:
    return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]
