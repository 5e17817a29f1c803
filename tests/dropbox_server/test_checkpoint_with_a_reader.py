"""A WAL checkpoint while another process holds a read snapshot open (as Litestream always does):
it gives up after a short wait instead of stalling every write for the full busy timeout, and
succeeds once the snapshot is gone."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3

from dropbox_server import audit
from dropbox_server.services import Services

BOUND_SECONDS = 5  # far above the checkpoint's own wait; the old code waited 10 s


async def test_checkpoint_gives_up_quickly_while_a_reader_holds_a_snapshot(services: Services) -> None:
    db = services.db
    await audit.record(db, audit.pending("database_backed_up"))  # a write: the WAL has frames
    with contextlib.closing(sqlite3.connect(db.path, isolation_level=None)) as other:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM sqlite_schema").fetchone()  # the snapshot starts
        assert await asyncio.wait_for(db.checkpoint(), BOUND_SECONDS) is False
        other.execute("COMMIT")
    assert await asyncio.wait_for(db.checkpoint(), BOUND_SECONDS) is True
    async with db.transaction() as tx, tx.execute("PRAGMA busy_timeout") as cur:
        row = await cur.fetchone()
    assert row is not None and int(row[0]) == 10_000, "the writer's ordinary busy timeout is back"
