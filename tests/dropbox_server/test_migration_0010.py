"""Migration 0010 (the security role) on a version-9 database: every account is kept, the new
role can be stored, and the triggers that name the staff table (assignments, staff ids never
reused) still hold."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dropbox_server import envelope
from tests.old_versions import at_version, migrated, old_staff


async def test_0010_keeps_staff_and_admits_the_security_role(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    pair = envelope.generate_keypair()
    async with at_version(path, 9) as db:
        sue = await old_staff(db, "sue", "supervisor", pair.public)
        with pytest.raises(sqlite3.IntegrityError):  # version 9 has no such role
            await old_staff(db, "sian", "security", pair.public)
    with sqlite3.connect(path) as conn:
        before = conn.execute("SELECT * FROM staff ORDER BY id").fetchall()

    async with migrated(path, 10) as db:  # later migrations have their own tests
        sian = await old_staff(db, "sian", "security", pair.public)
        assert sian != sue
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT * FROM staff WHERE id = ?", (sue,)).fetchall() == before
        triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"report_assignments_same_unit", "report_assignments_follow_staff",
                "staff_ids_never_reused", "staff_ids_remembered"} <= triggers
        with pytest.raises(sqlite3.IntegrityError, match="never reused"):  # sue's id, once used
            conn.execute("DELETE FROM staff WHERE id = ?", (sue,))
            conn.execute(
                "INSERT INTO staff (id, username, unit_id, role, public_key, wrapped_private_key,"
                " created_day) VALUES (?, 'again', 'u1', 'security', x'00', x'00', '2026-01-02')",
                (sue,),
            )
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
