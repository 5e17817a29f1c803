"""SQL for attachments: file rows committed in the same transaction as the item they belong to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database
from dropbox_server.store.records import NewItem, NewReport
from dropbox_server.store.reports import _insert_report_tx, add_item_tx

_COLUMNS = (
    "f.id, f.report_seq, f.item_id, i.kind, i.created_day, i.author_staff_id, f.position, "
    "f.stored_bytes, f.meta_ciphertext, f.key_for_unit, f.key_for_reporter"
)


@dataclass(frozen=True)
class NewFile:
    """An encrypted file whose ciphertext is already durable under files/<id>."""

    id: str
    stored_bytes: int
    meta_ciphertext: bytes
    key_for_unit: bytes
    key_for_reporter: bytes | None = None


@dataclass(frozen=True)
class FileRow:
    id: str
    report_seq: int
    item_id: int
    item_kind: str
    created_day: str
    author_staff_id: int | None
    position: int
    stored_bytes: int
    meta_ciphertext: bytes
    key_for_unit: bytes
    key_for_reporter: bytes | None


async def _insert_files(tx: aiosqlite.Connection, seq: int, item_id: int, files: Sequence[NewFile]) -> None:
    await tx.executemany(
        "INSERT INTO files (id, report_seq, item_id, position, stored_bytes, meta_ciphertext, "
        "key_for_unit, key_for_reporter) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (f.id, seq, item_id, n, f.stored_bytes, f.meta_ciphertext, f.key_for_unit, f.key_for_reporter)
            for n, f in enumerate(files)
        ],
    )


async def insert_report_with_files(db: Database, report: NewReport, files: Sequence[NewFile]) -> int:
    """Store a report and its attachments (on its 'report' item) in one durable transaction."""
    async with db.transaction() as tx:
        seq = await _insert_report_tx(tx, report)
        async with tx.execute(
            "SELECT id FROM items WHERE report_seq = ? AND kind = 'report' ORDER BY n LIMIT 1", (seq,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            raise ValueError("a report needs its 'report' item to carry files")
        await _insert_files(tx, seq, int(row[0]), files)
    return seq


async def add_item_with_files(
    db: Database,
    seq: int,
    item: NewItem,
    day: str,
    files: Sequence[NewFile],
    audit: PendingAudit | None = None,
) -> int:
    """Append an item, its attachments and (for staff actions) its audit entry in one transaction."""
    async with db.transaction() as tx:
        item_id = await add_item_tx(tx, seq, item, day)
        await _insert_files(tx, seq, item_id, files)
        if audit is not None:
            await append_tx(tx, audit)
    return item_id


def _row(r: aiosqlite.Row) -> FileRow:
    return FileRow(*tuple(r))


async def files_of_report(db: Database, seq: int, kinds: tuple[str, ...] | None = None) -> list[FileRow]:
    """A report's attachments in the order they were sent, optionally only on some item kinds."""
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM files f JOIN items i ON i.id = f.item_id "  # noqa: S608
        "WHERE f.report_seq = ? ORDER BY i.n, f.position",
        (seq,),
    )
    found = [_row(r) for r in rows]
    return [f for f in found if kinds is None or f.item_kind in kinds]


async def get_file(db: Database, seq: int, file_id: str) -> FileRow | None:
    """One attachment of one report; None when the id is not a file of that report."""
    r = await db.fetch_one(
        f"SELECT {_COLUMNS} FROM files f JOIN items i ON i.id = f.item_id "  # noqa: S608
        "WHERE f.report_seq = ? AND f.id = ?",
        (seq, file_id),
    )
    return _row(r) if r else None


async def referenced_file_ids(db: Database) -> set[str]:
    """Every file id the database refers to (the start-up sweep keeps only these)."""
    return {str(r[0]) for r in await db.fetch_all("SELECT id FROM files")}
