"""SQL for the files that go with a package: the analyst's choice, and the delivered copies.

Clear columns are ids only. The delivered copies are ordinary `files` rows of the package's
case, so the receiving unit lists, downloads and passes them on with the code it uses for
any case's files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import aiosqlite

from dropbox_server.store.database import Database
from dropbox_server.store.files import NewFile


async def chosen_file_ids(db: Database, draft_id: int) -> list[str]:
    """The ids of the source report's files chosen for a draft, in a stable order."""
    rows = await db.fetch_all(
        "SELECT file_id FROM package_draft_files WHERE draft_id = ? ORDER BY file_id", (draft_id,)
    )
    return [str(r[0]) for r in rows]


async def choose_files(db: Database, draft_id: int, file_ids: Iterable[str]) -> bool:
    """Replace a draft's choice of files; only while it is still a draft (False otherwise).

    Security: a chosen id must be a file of the draft's own source report, checked here in
    the same statement as the insert, whatever the caller checked before.
    """
    async with db.transaction() as tx:
        async with tx.execute(
            "SELECT source_seq FROM package_drafts WHERE id = ? AND state = 'draft'", (draft_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return False
        await tx.execute("DELETE FROM package_draft_files WHERE draft_id = ?", (draft_id,))
        for file_id in file_ids:
            cur = await tx.execute(
                "INSERT INTO package_draft_files (draft_id, file_id) "
                "SELECT ?, id FROM files WHERE id = ? AND report_seq = ?",
                (draft_id, file_id, int(row[0])),
            )
            if cur.rowcount != 1:
                raise ValueError("a chosen file is not a file of the draft's report")
        return True


async def attach_copies_tx(
    tx: aiosqlite.Connection, package_seq: int, item_id: int | None, copies: Sequence[NewFile]
) -> None:
    """Name the delivered copies as files of the package's case, on `item_id` (or its body item).

    Runs inside the approval's transaction, so the package and its files arrive together.
    """
    if not copies:
        return
    if item_id is None:
        async with tx.execute(
            "SELECT id FROM items WHERE report_seq = ? AND kind = 'report' ORDER BY n LIMIT 1",
            (package_seq,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            raise ValueError("a package needs its body item to carry files")
        item_id = int(row[0])
    await tx.executemany(
        "INSERT INTO files (id, report_seq, item_id, position, stored_bytes, meta_ciphertext, "
        "key_for_unit, key_for_reporter) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        [
            (f.id, package_seq, item_id, n, f.stored_bytes, f.meta_ciphertext, f.key_for_unit)
            for n, f in enumerate(copies)
        ],
    )
