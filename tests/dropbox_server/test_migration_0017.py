"""Migration 0017 (re-key codes) on a version-16 database: a request already waiting is kept as
a newcomer's request (no account to re-key, no spent step), members are unchanged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.store import enrolments as enrolment_store
from tests.old_versions import at_version, migrated, old_staff


async def test_0017_keeps_waiting_requests_as_newcomers(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with at_version(path, 16) as db:
        await old_staff(db, "alice", "investigator", envelope.generate_keypair().public)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO pending_enrolments (username, unit_id, role, code_hash, requested_by, "
            "requested_day, expires_day, audit_seq, request_mac) "
            "VALUES ('dan', 'u1', 'investigator', x'aa', 'officer', '2026-01-02', '2026-01-05', 1, x'00')"
        )
        before = conn.execute("SELECT * FROM staff ORDER BY id").fetchall()
    async with migrated(path, 17) as db:
        kept = await enrolment_store.pending_by_username(db, "dan")
        assert kept is not None and kept.rekey_of is None and kept.totp_step is None
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT * FROM staff ORDER BY id").fetchall() == before
