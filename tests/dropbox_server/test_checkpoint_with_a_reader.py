"""A WAL checkpoint while another process holds a read snapshot open (as Litestream always does):
it gives up after a short wait instead of stalling every write for the full busy timeout, and
succeeds once the snapshot is gone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

import pytest

from dropbox_server import audit
from dropbox_server.clock import today
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt, withdraw_report
from dropbox_server.reports.submission import submit_report
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


async def test_a_withdrawal_held_up_by_a_reader_is_scrubbed_when_it_leaves(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """L1: the checkpoint after a withdrawal used to be fired and forgotten; with a reader
    open the deleted ciphertext stayed in the WAL for good. Now the failure is said in one
    line (no content) and the checkpoint is retried after the next write, once the reader
    has gone."""
    db = services.db
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="Zqwal text")
    receipt = await submit_report(db, services.receipts, content, None, "online", today())
    row = await db.fetch_one(
        "SELECT r.lookup_id, i.ciphertext FROM reports r JOIN items i ON i.report_seq = r.seq"
    )
    assert row is not None
    lookup, ciphertext = bytes(row[0]), bytes(row[1])[:64]
    access = await open_with_receipt(db, services.receipts, receipt)
    assert access is not None
    wal = Path(str(db.path) + "-wal")
    with contextlib.closing(sqlite3.connect(db.path, isolation_level=None)) as other:
        other.execute("BEGIN")
        other.execute("SELECT count(*) FROM reports").fetchone()  # a replicator's snapshot
        with caplog.at_level(logging.INFO, logger="dropbox_server.store.database"):
            assert await withdraw_report(db, services.files, access, today()) == "withdrawn"
        assert db.scrub_owed
        assert lookup in wal.read_bytes()  # a reader still needs those pages: nothing to do yet
        other.execute("COMMIT")
    lines = [r.getMessage() for r in caplog.records if r.name == "dropbox_server.store.database"]
    assert len(lines) == 1 and "held up" in lines[0]
    assert "Zqwal" not in caplog.text
    await audit.record(db, audit.pending("database_backed_up"))  # any later write
    assert not db.scrub_owed
    remains = wal.read_bytes() if wal.exists() else b""
    assert lookup not in remains and ciphertext not in remains
    assert lookup not in db.path.read_bytes()
