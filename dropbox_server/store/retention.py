"""SQL for deleting reports (retention, withdrawal) and the record of withdrawn reports."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database


@dataclass(frozen=True)
class Expired:
    """A report past its retention period: what the deletion is recorded with, no content."""

    seq: int
    id: str
    unit_id: str
    outcome: str
    last_activity_day: str


@dataclass(frozen=True)
class Withdrawn:
    """The unit's record that a reporter deleted their report: which, where, which day."""

    report_id: str
    unit_id: str
    day: str


async def expired_reports(db: Database, outcome: str, before_day: str, limit: int) -> list[Expired]:
    """Reports with `outcome` whose last activity was before `before_day`, oldest first."""
    rows = await db.fetch_all(
        "SELECT seq, id, unit_id, outcome, last_activity_day FROM reports "
        "WHERE outcome = ? AND last_activity_day < ? ORDER BY last_activity_day, seq LIMIT ?",
        (outcome, before_day, limit),
    )
    return [Expired(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows]


async def other_outcomes(db: Database, named: tuple[str, ...]) -> list[str]:
    """Outcomes reports currently have that are not in `named` (they use the default period)."""
    marks = ",".join("?" * len(named)) or "''"
    rows = await db.fetch_all(
        f"SELECT DISTINCT outcome FROM reports WHERE outcome NOT IN ({marks})",  # noqa: S608
        named,
    )
    return [str(r[0]) for r in rows]


async def _file_ids(tx: aiosqlite.Connection, seq: int) -> list[str]:
    async with tx.execute("SELECT id FROM files WHERE report_seq = ?", (seq,)) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def delete_expired(db: Database, report: Expired, audit: PendingAudit) -> list[str] | None:
    """Delete a report that is still as it was found expired; returns its file ids.

    None (nothing deleted) when the report changed meanwhile (new activity, a new outcome).
    Security: items, key grants, files rows, history, transfers and read markers go with it
    (ON DELETE CASCADE); secure_delete overwrites their bytes. Monthly counters stay.
    """
    async with db.transaction() as tx:
        ids = await _file_ids(tx, report.seq)
        cur = await tx.execute(
            "DELETE FROM reports WHERE seq = ? AND outcome = ? AND last_activity_day = ?",
            (report.seq, report.outcome, report.last_activity_day),
        )
        if cur.rowcount != 1:
            return None
        await append_tx(tx, audit)
    return ids


async def withdraw(db: Database, seq: int, record: Withdrawn) -> list[str] | None:
    """Delete a report at its reporter's request and keep only the record; returns file ids."""
    async with db.transaction() as tx:
        ids = await _file_ids(tx, seq)
        cur = await tx.execute("DELETE FROM reports WHERE seq = ? AND id = ?", (seq, record.report_id))
        if cur.rowcount != 1:
            return None
        await tx.execute(
            "INSERT INTO withdrawn_reports (report_id, unit_id, day) VALUES (?, ?, ?)",
            (record.report_id, record.unit_id, record.day),
        )
    return ids


async def withdrawn_for_unit(db: Database, unit_id: str, limit: int = 200) -> list[Withdrawn]:
    """A unit's records of withdrawn reports, newest first."""
    rows = await db.fetch_all(
        "SELECT report_id, unit_id, day FROM withdrawn_reports WHERE unit_id = ? "
        "ORDER BY day DESC, report_id LIMIT ?",
        (unit_id, limit),
    )
    return [Withdrawn(str(r[0]), str(r[1]), str(r[2])) for r in rows]


async def expire_withdrawn_records(db: Database, before_day: str) -> int:
    """Drop records of withdrawals made before `before_day`; returns how many."""
    async with db.transaction() as tx:
        cur = await tx.execute("DELETE FROM withdrawn_reports WHERE day < ?", (before_day,))
        return int(cur.rowcount)
