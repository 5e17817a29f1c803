"""Migration 0017 (re-key codes) on a version-16 database: a request already waiting is kept as
a newcomer's request (no account to re-key, no spent step), members are unchanged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.store import UnitRow, open_database, units
from dropbox_server.store import enrolments as enrolment_store
from tests.investigator.test_migration_0002 import old_staff


async def test_0017_keeps_waiting_requests_as_newcomers(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await open_database(path, migrate_up_to=16)
    await units.insert_unit(db, UnitRow("u1", "Unit one", "force"), "2026-01-01")
    await old_staff(db, "alice", "investigator", envelope.generate_keypair().public)
    await db.close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO pending_enrolments (username, unit_id, role, code_hash, requested_by, "
            "requested_day, expires_day, audit_seq, request_mac) "
            "VALUES ('dan', 'u1', 'investigator', x'aa', 'officer', '2026-01-02', '2026-01-05', 1, x'00')"
        )
        before = conn.execute("SELECT * FROM staff ORDER BY id").fetchall()
    db = await open_database(path, migrate_up_to=17)
    try:
        assert await db.schema_version() == 17
        kept = await enrolment_store.pending_by_username(db, "dan")
        assert kept is not None and kept.rekey_of is None and kept.totp_step is None
    finally:
        await db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT * FROM staff ORDER BY id").fetchall() == before
