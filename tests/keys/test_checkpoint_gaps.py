"""The U6 fix (a refused key check moves the checkpoint kept beside the database) has gaps.

Attacker: a database writer (a copy written back while the service runs; no audit.key).
(a) `audit.keep_checkpoint` signs nothing while the chain is broken ("the health checks are
    red already"). A writer who breaks the chain on purpose first (one old entry edited, kept
    to put back) makes every refusal in that window go un-checkpointed; afterwards they put
    the old entry back and cut the refusal off the tail: health is exactly as before.
(b) The two "owed marker ignored" refusals (certify_upgrade, certify_units_upgrade) record
    `key_check_failed` without `keep_checkpoint` at all, so they can be cut off the tail.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dropbox_server import audit, health
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import backup, certify, unit_admin
from dropbox_server.store import open_database
from dropbox_server.store.database import backup_file
from tests.conftest import init_test_data_dir
from tests.keys.key_swap import put_back, refuse_kent_key, swap_kent_key, swap_refuse_and_put_back
from tests.keys.test_backup_restore import _custodian, prepared


def _failing(settings: Settings) -> set[str]:
    return {c.name for c in health.gather(settings, today()).checks if not c.ok}


@contextmanager
def _no_triggers(raw: sqlite3.Connection) -> Iterator[None]:
    """The append-only triggers bind the product, not a writer holding the file."""
    saved = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'").fetchall()
    for name, _sql in saved:
        raw.execute(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in saved:
        raw.execute(sql)


def _cut_tail(settings: Settings, action: str) -> None:
    with sqlite3.connect(settings.database_path) as raw:
        (top,) = raw.execute("SELECT max(seq) FROM audit_log").fetchone()
        (found,) = raw.execute("SELECT action FROM audit_log WHERE seq = ?", (top,)).fetchone()
        assert found == action
        with _no_triggers(raw):
            raw.execute("DELETE FROM audit_log WHERE seq = ?", (top,))


async def test_writer_breaks_the_chain_first_so_the_refusal_is_not_checkpointed_known_limit(
    settings: Settings,
) -> None:
    """Admitted limit (insider finding V4a, not fixed; README): passes while it stands."""
    await init_test_data_dir(settings)
    db = await open_database(settings.database_path)
    try:  # a service in use has a log: one ordinary audited change (K shares at the CLI)
        await unit_admin.rename_unit(db, "surrey-police", "Surrey Police North")
        assert await audit.keep_checkpoint(db) is not None  # as after any key_holder_added
    finally:
        await db.close()
    baseline = _failing(settings)
    cp = settings.data_dir / "audit.checkpoint"
    kept_before = cp.read_bytes()
    with sqlite3.connect(settings.database_path) as raw:
        # 1. Break the chain, reversibly: one old entry's detail, the original kept.
        (seq, detail) = raw.execute("SELECT seq, detail FROM audit_log ORDER BY seq LIMIT 1").fetchone()
        with _no_triggers(raw):
            raw.execute("UPDATE audit_log SET detail = ? WHERE seq = ?", (f"{detail}x", seq))
    # 2. Plant a key of their own for Kent (the F4 / U1 kind of attempt).
    kid, real = swap_kent_key(settings.database_path)
    await refuse_kent_key(settings.database_path)  # the server refuses it and records that...
    # ...but keeps no checkpoint, since the chain was broken.
    assert cp.read_bytes() == kept_before
    # 3. Put everything back and cut the refusal off the tail.
    put_back(settings.database_path, kid, real)
    with sqlite3.connect(settings.database_path) as raw, _no_triggers(raw):
        raw.execute("UPDATE audit_log SET detail = ? WHERE seq = ?", (detail, seq))
    _cut_tail(settings, "key_check_failed")
    assert _failing(settings) == baseline  # the alarm, and any trace of the attempt, is gone


@pytest.mark.parametrize("marker", ["unit_certification_owed", "certification_owed"])
async def test_the_owed_marker_refusal_is_checkpointed(settings: Settings, marker: str) -> None:
    """Regression (insider finding V4b, was 'attack succeeds'): the writer tries the one-time
    certification again (it is refused, rightly), then cuts the refusal off the tail; the
    checkpoint kept with the refusal turns *Audit trail* red."""
    await init_test_data_dir(settings)
    baseline = _failing(settings)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute(f"INSERT OR IGNORE INTO {marker} (id) VALUES (1)")
    db = await open_database(settings.database_path)
    try:
        await certify.certify_upgrade(db)  # what `serve` and every key command do at open
        await certify.certify_units_upgrade(db)
    finally:
        await db.close()
    assert "certificates" in _failing(settings)  # refused and on the record, for now
    _cut_tail(settings, "key_check_failed")
    assert "audit chain" in _failing(settings) - baseline


async def test_a_refusal_cut_from_a_database_copy_is_gone_after_a_restore_known_limit(tmp_path: Path) -> None:
    """The kept checkpoint lives beside the live database only: neither a backup set nor the key
    backup carries it, so a restore starts with none. A writer of the backup sets (or the
    replica) cuts a refusal off the copy's tail; after the restore the key alarm is gone.
    Admitted limit (insider finding V4c, not fixed; README): passes while it stands."""
    settings, _receipt, _address, keys_file, _old_copy = await prepared(tmp_path)
    await swap_refuse_and_put_back(settings.database_path)
    assert "certificates" in _failing(settings)  # the alarm, checkpointed in the live directory
    db_copy = tmp_path / "db.later"
    backup_file(settings.database_path, db_copy)  # tonight's backup set
    shutil.rmtree(settings.data_dir)
    with sqlite3.connect(db_copy) as raw:  # the writer, on the copy
        (top,) = raw.execute("SELECT max(seq) FROM audit_log").fetchone()
        with _no_triggers(raw):
            raw.execute("DELETE FROM audit_log WHERE seq = ?", (top,))
    await backup.restore(keys_file, _custodian(tmp_path), db_copy, settings)
    failing = _failing(settings)
    assert "certificates" not in failing and "audit chain" not in failing
