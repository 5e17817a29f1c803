"""Migration 0016 (subject key certificates, insider finding F8) on a version-15 database: the
subject key is kept, and it has no certificate yet (the upgrade's trust point
certifies its grants; tests/keys/test_planted_subject_key.py covers what follows)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.old_versions import at_version, migrated


async def test_0016_keeps_subject_keys_uncertified_until_the_trust_point(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with at_version(path, 15):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO subject_keys (id, unit_id, created_day) VALUES (1, 'u1', '2026-01-01')")
        before = conn.execute("SELECT * FROM subject_keys").fetchall()

    async with migrated(path, 16):
        pass
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        (row,) = conn.execute("SELECT * FROM subject_keys").fetchall()
        assert tuple(row)[: len(before[0])] == before[0]
        assert row["certificate"] is None and row["grants_certificate"] is None
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
