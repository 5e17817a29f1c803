"""A database copy taken while the service keeps writing is consistent and finishes."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import sqlite3
from pathlib import Path

import pytest

from dropbox_server import audit
from dropbox_server.store import audit as audit_store
from dropbox_server.store import open_database
from dropbox_server.store.database import backup_file
from dropbox_server.web.appkeys import Services


async def fill(services: Services, entries: int) -> None:
    """Grow the database to many pages (audit entries are cheap and hash-chained)."""
    async with services.db.transaction() as tx:
        for n in range(entries):
            await audit_store.append_tx(tx, audit.pending("view", detail=f"filler {n:06d} " + "x" * 400))


async def test_backup_while_writing_is_a_consistent_snapshot(services: Services, tmp_path: Path) -> None:
    await fill(services, 3000)
    steps: list[tuple[int, int]] = []
    writing = True

    async def keep_writing() -> int:
        written = 0
        while writing:
            await audit.record(services.db, audit.pending("view", detail="during the backup"))
            written += 1
            await asyncio.sleep(0)
        return written

    def slow_progress(done: int, total: int) -> None:
        steps.append((done, total))

    writer = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.05)
    copy = tmp_path / "copy.sqlite3"
    await asyncio.to_thread(backup_file, services.db.path, copy, slow_progress, pages=8)
    writing = False
    written = await writer
    assert written > 0, "the service kept writing during the copy"

    assert len(steps) > 10 and steps[-1][0] == steps[-1][1]
    assert all(b[0] >= a[0] for a, b in itertools.pairwise(steps)), "the copy never restarted"
    assert copy.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The chain is keyed with the key beside the database, as a restore puts it back.
    shutil.copy2(services.db.path.parent / "audit.key", tmp_path / "audit.key")
    copied = await open_database(copy)
    try:
        checked = await audit.verify(copied)
    finally:
        await copied.close()
    live = await audit.verify(services.db)
    assert checked.ok and 3000 <= checked.entries < live.entries


async def test_backup_never_overwrites(services: Services, tmp_path: Path) -> None:
    existing = tmp_path / "existing"
    existing.write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        await asyncio.to_thread(backup_file, services.db.path, existing)
    assert existing.read_bytes() == b"keep me"
