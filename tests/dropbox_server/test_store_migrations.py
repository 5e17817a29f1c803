"""Each migration applies to the previous version's data; the database is hardened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server.store import open_database
from dropbox_server.store.database import migrations


async def test_migrations_are_numbered_without_gaps() -> None:
    versions = [v for v, _, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))


async def test_fresh_database_reaches_latest_version(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "t.sqlite3")
    try:
        assert await db.schema_version() == len(migrations())
        row = await db.fetch_one("PRAGMA journal_mode")
        assert row is not None and row[0] == "wal"
    finally:
        await db.close()
    assert (tmp_path / "t.sqlite3").stat().st_mode & 0o077 == 0


async def test_each_migration_upgrades_the_previous_versions_data(tmp_path: Path) -> None:
    """Build version N-1 with a row in every table, then apply N: rows survive."""
    for version, name, _ in migrations()[1:]:
        path = tmp_path / f"v{version}.sqlite3"
        db = await open_database(path, migrate_up_to=version - 1)
        await db.close()
        with sqlite3.connect(path) as conn:
            conn.execute(
                "INSERT INTO units (id, name, kind, created_day) VALUES ('u', 'U', 'force', '2026-01-01')"
            )
        db = await open_database(path)
        try:
            assert await db.schema_version() == len(migrations()), name
            row = await db.fetch_one("SELECT name FROM units WHERE id = 'u'")
            assert row is not None and row[0] == "U"
        finally:
            await db.close()


async def test_connection_pragmas(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "t.sqlite3")
    try:
        async with db.transaction() as tx:
            values = {}
            for pragma in ("synchronous", "foreign_keys", "secure_delete", "trusted_schema"):
                async with tx.execute(f"PRAGMA {pragma}") as cur:
                    row = await cur.fetchone()
                    values[pragma] = row[0]
        assert values == {"synchronous": 2, "foreign_keys": 1, "secure_delete": 1, "trusted_schema": 0}
    finally:
        await db.close()


async def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "t.sqlite3")
    try:
        try:
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO units (id, name, kind, created_day) VALUES ('u', 'U', 'force', 'd')"
                )
                raise RuntimeError("crash mid-transaction")
        except RuntimeError:
            pass
        assert await db.fetch_one("SELECT 1 FROM units") is None
    finally:
        await db.close()
