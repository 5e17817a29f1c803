"""Migration 0014 (the newcomer makes their own key) on a version-13 database: requests made
under the old flow (a password security staff typed) are dropped, members and their notices
are kept, and the new table refuses a redeemed row without its day."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dropbox_server import envelope
from tests.old_versions import at_version, migrated, old_staff


async def test_0014_drops_old_requests_and_keeps_members(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    pair = envelope.generate_keypair()
    async with at_version(path, 13) as db:
        alice = await old_staff(db, "alice", "investigator", pair.public)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO pending_enrolments (username, unit_id, role, public_key, wrapped_private_key, "
            "totp_secret_sealed, requested_by, requested_day) VALUES "
            "('mallory', 'u1', 'investigator', x'01', x'02', x'03', 'officer', '2026-01-02')"
        )
        before = conn.execute("SELECT * FROM staff ORDER BY id").fetchall()

    async with migrated(path, 14):
        pass
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
