"""Migration 0014 (the newcomer makes their own key) on a version-13 database: requests made
under the old flow (a password security staff typed) are dropped, members and their notices
are kept, and the new table refuses a redeemed row without its day."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dropbox_server import envelope
from dropbox_server.store import UnitRow, open_database, units
from tests.investigator.test_migration_0002 import old_staff


async def test_0014_drops_old_requests_and_keeps_members(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await open_database(path, migrate_up_to=13)
    pair = envelope.generate_keypair()
    await units.insert_unit(db, UnitRow("u1", "Unit one", "force"), "2026-01-01")
    alice = await old_staff(db, "alice", "investigator", pair.public)
    await db.close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO pending_enrolments (username, unit_id, role, public_key, wrapped_private_key, "
            "totp_secret_sealed, requested_by, requested_day) VALUES "
            "('mallory', 'u1', 'investigator', x'01', x'02', x'03', 'officer', '2026-01-02')"
        )
        before = conn.execute("SELECT * FROM staff ORDER BY id").fetchall()

    db = await open_database(path, migrate_up_to=14)
    try:
        assert await db.schema_version() == 14
    finally:
        await db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM pending_enrolments").fetchone() == (0,)
        assert conn.execute("SELECT * FROM staff ORDER BY id").fetchall() == before
        assert conn.execute("SELECT id FROM staff").fetchall() == [(alice,)]
        columns = {r[1] for r in conn.execute("PRAGMA table_info(pending_enrolments)")}
        assert {"code_hash", "expires_day", "audit_seq", "request_mac", "key_mac", "redeemed_day"} <= columns
        with pytest.raises(sqlite3.IntegrityError):  # a key without its redemption day
            conn.execute(
                "INSERT INTO pending_enrolments (username, unit_id, role, code_hash, requested_by, "
                "requested_day, expires_day, audit_seq, request_mac, public_key) "
                "VALUES ('eve', 'u1', 'investigator', x'aa', 'x', '2026-01-02', '2026-01-05', 1, x'00', x'01')"
            )
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
