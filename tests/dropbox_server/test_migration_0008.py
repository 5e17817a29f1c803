"""Migration 0008 (the security role) on a version-7 database: every account is kept, the new
role can be stored, and the assignment triggers that name the staff table still hold."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dropbox_server import envelope
from dropbox_server.store import UnitRow, open_database, units
from tests.investigator.test_migration_0002 import old_staff


async def test_0008_keeps_staff_and_admits_the_security_role(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await open_database(path, migrate_up_to=7)
    pair = envelope.generate_keypair()
    await units.insert_unit(db, UnitRow("u1", "Unit one", "force"), "2026-01-01")
    sue = await old_staff(db, "sue", "supervisor", pair.public)
    with pytest.raises(sqlite3.IntegrityError):  # version 7 has no such role
        await old_staff(db, "sian", "security", pair.public)
    await db.close()
    with sqlite3.connect(path) as conn:
        before = conn.execute("SELECT * FROM staff ORDER BY id").fetchall()

    db = await open_database(path)
    try:
        assert await db.schema_version() == 8
        sian = await old_staff(db, "sian", "security", pair.public)
        assert sian != sue
    finally:
        await db.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT * FROM staff WHERE id = ?", (sue,)).fetchall() == before
        triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"report_assignments_same_unit", "report_assignments_follow_staff"} <= triggers
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
