"""SQL for outcomes: the current outcome on a report and the history of every change."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database


@dataclass(frozen=True)
class NewOutcome:
    """One change to record: clear code, unit and day; the reason as ciphertext."""

    report_seq: int
    unit_id: str
    outcome: str
    previous: str
    day: str
    staff_id: int | None
    reason_ciphertext: bytes | None
    reason_key: bytes | None


@dataclass(frozen=True)
class OutcomeRow:
    id: int
    unit_id: str
    outcome: str
    previous: str
    day: str
    staff_id: int | None
    reason_ciphertext: bytes | None
    reason_key: bytes | None


async def insert_history_tx(tx: aiosqlite.Connection, change: NewOutcome) -> None:
    await tx.execute(
        "INSERT INTO outcome_history (report_seq, unit_id, outcome, previous, day, staff_id, "
        "reason_ciphertext, reason_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            change.report_seq,
            change.unit_id,
            change.outcome,
            change.previous,
            change.day,
            change.staff_id,
            change.reason_ciphertext,
            change.reason_key,
        ),
    )


async def set_outcome(db: Database, change: NewOutcome, audit: PendingAudit) -> bool:
    """Move a report from `previous` to `outcome` if nobody changed it meanwhile.

    Returns False (and changes nothing) when the report's outcome or unit is no longer
    what the caller saw: two investigators cannot silently overwrite each other.
    """
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE reports SET outcome = ?, last_activity_day = ? "
            "WHERE seq = ? AND outcome = ? AND unit_id = ?",
            (change.outcome, change.day, change.report_seq, change.previous, change.unit_id),
        )
        if cur.rowcount != 1:
            return False
        await insert_history_tx(tx, change)
        await append_tx(tx, audit)
    return True


async def history(db: Database, seq: int) -> list[OutcomeRow]:
    """Every outcome change of a report, oldest first."""
    rows = await db.fetch_all(
        "SELECT id, unit_id, outcome, previous, day, staff_id, reason_ciphertext, reason_key "
        "FROM outcome_history WHERE report_seq = ? ORDER BY id",
        (seq,),
    )
    return [OutcomeRow(*tuple(r)) for r in rows]
