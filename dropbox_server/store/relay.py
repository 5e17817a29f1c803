"""SQL for what a force sends the desk about a package: questions and closing messages."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database
from dropbox_server.store.row_keys import new_row_key

_COLUMNS = "id, package_seq, kind, state, from_unit_id, staff_id, day, ciphertext, key_for_unit"


@dataclass(frozen=True)
class RelayRow:
    id: int
    package_seq: int
    kind: str  # question or closing
    state: str  # open, relayed or declined
    from_unit_id: str
    staff_id: int | None
    day: str
    ciphertext: bytes
    key_for_unit: bytes


def _row(r: aiosqlite.Row) -> RelayRow:
    return RelayRow(*r)


async def insert(db: Database, row: RelayRow, audit: PendingAudit) -> int:
    """A force's message for the desk; its id is random (see row_keys), never reused."""
    message_id = new_row_key()
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO relay_messages (id, package_seq, kind, state, from_unit_id, staff_id, day, "
            "ciphertext, key_for_unit) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?)",
            (
                message_id,
                row.package_seq,
                row.kind,
                row.from_unit_id,
                row.staff_id,
                row.day,
                row.ciphertext,
                row.key_for_unit,
            ),
        )
        await append_tx(tx, audit)
        return message_id


async def of_package(db: Database, package_seq: int) -> list[RelayRow]:
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM relay_messages WHERE package_seq = ? ORDER BY day, id",  # noqa: S608
        (package_seq,),
    )
    return [_row(r) for r in rows]


async def get(db: Database, request_id: int) -> RelayRow | None:
    r = await db.fetch_one(f"SELECT {_COLUMNS} FROM relay_messages WHERE id = ?", (request_id,))  # noqa: S608
    return _row(r) if r else None


async def settle(db: Database, request_id: int, state: str, audit: PendingAudit) -> bool:
    """Open → relayed or declined, once."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE relay_messages SET state = ? WHERE id = ? AND state = 'open'", (state, request_id)
        )
        if cur.rowcount != 1:
            return False
        await append_tx(tx, audit)
        return True
