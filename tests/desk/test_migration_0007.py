"""Migration 0007 (the desk) on a version-6 database, whose reports and items carry the random
row keys 0006 gave them: it keeps `direct` routing, every row and every key, the inbox order
0006 set, and switching to the desk afterwards leaves delivered reports where they are."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dropbox_server import envelope
from dropbox_server.custody import certify
from dropbox_server.custody.desk import set_routing
from dropbox_server.datadir import create_audit_key
from dropbox_server.store import deployment as deployment_store
from dropbox_server.store import open_database, units
from dropbox_server.store import reports as report_store
from dropbox_server.store.casework import facet_counts
from tests.old_versions import at_version, migrated, new_report, old_report, old_staff


def _keys(path: Path) -> tuple[list[tuple[str, int]], list[tuple[int, int, int]]]:
    with sqlite3.connect(path) as conn:
        reports = conn.execute("SELECT id, seq FROM reports ORDER BY id").fetchall()
        items = conn.execute("SELECT id, report_seq, n FROM items ORDER BY id").fetchall()
    return reports, items


def _index_columns(path: Path, index: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[2] for row in conn.execute(f"PRAGMA index_info({index})")]


async def test_0007_keeps_direct_routing_reports_staff_and_statistics(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    pair = envelope.generate_keypair()
    async with at_version(path, 5) as db:
        async with db.transaction() as tx:  # the custodian as a version-5 directory held it
            await tx.execute(
                "INSERT INTO custodian (id, public_key, wrapped_private_key) VALUES (1, ?, ?)",
                (pair.public, b"wrapped"),
            )
        key_id = await units.insert_unit_key(db, "u1", pair.public, "2026-01-01", {})
        for n in range(2):
            await old_report(db, new_report(key_id, pair.public, "corruption", n))
        staff_id = await old_staff(db, "sue", "supervisor", pair.public)
    async with migrated(path, 6):  # 0006 renumbers them with random keys
        pass
    keys_at_6 = _keys(path)
    assert all(seq > 2 for _, seq in keys_at_6[0])  # no longer 1, 2: random
    with sqlite3.connect(path) as conn:
        stats_before = conn.execute("SELECT * FROM stats_monthly ORDER BY 1, 2, 3").fetchall()

    async with migrated(path, 7) as db:  # later migrations have their own tests
        assert _keys(path) == keys_at_6  # the rebuilt reports table copies the keys as they are
        assert _index_columns(path, "reports_unit_order") == ["unit_id", "created_day", "seq"]
        assert _index_columns(path, "reports_desk_state") == ["unit_id", "desk_state", "created_day", "seq"]
        assert await deployment_store.routing(db) == "direct"
        old = await report_store.get_report(db, "r0")
        assert old is not None and old.unit_id == "u1" and old.desk_state is None
        named = await db.fetch_one("SELECT named_force FROM reports WHERE id = 'r0'")
        assert named is not None and named[0] is None
        assert old.reporter_public_key is not None and not old.is_package
        assert sorted(await facet_counts(db, "u1")) == [("new", "corruption", "online", 2)]
        # Counted in SQL: today's store reads item columns of a later schema (0012).
        count = await db.fetch_one("SELECT count(*) FROM items WHERE report_seq = ?", (old.seq,))
        assert count is not None and count[0] == 1
        row = await db.fetch_one("SELECT reporter_last_day FROM reports WHERE id = 'r0'")
        assert row is not None and row[0] == "2026-01-01"  # filled from the thread it already had
        assert (await db.fetch_one("SELECT role FROM staff WHERE id = ?", (staff_id,)))[0] == "supervisor"
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT * FROM stats_monthly ORDER BY 1, 2, 3").fetchall() == stats_before
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # Security staff switch to the desk (today's schema: the desk's key is certified, so the
    # upgrade's first start with audit.key certifies what is there first): it is created with
    # only the custodian's public key.
    create_audit_key(tmp_path / "audit.key")
    db = await open_database(path)
    try:
        assert await certify.certify_upgrade(db) == 2
        assert await set_routing(db, "desk", "2026-02-01")
        assert await deployment_store.routing(db) == "desk"
        desk = await units.get_unit(db, "desk")
        assert desk is not None and desk.kind == "desk"
        assert len(await units.custodian_grants(db, "desk")) == 1
        assert not await set_routing(db, "desk", "2026-02-01")  # a second time creates nothing
        old = await report_store.get_report(db, "r0")
        assert old is not None and old.unit_id == "u1"  # delivered reports stay where they are

        # The widened schema still refuses what it should.
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO units (id, name, kind, created_day) VALUES ('desk2', 'Another desk', 'desk', '2026-02-01')")
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as tx:
                await tx.execute("UPDATE staff SET role = 'custodian' WHERE id = ?", (staff_id,))
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as tx:  # a report with a receipt cannot pose as a package
                await tx.execute("UPDATE reports SET channel = 'package' WHERE id = 'r0'")

    finally:
        await db.close()
