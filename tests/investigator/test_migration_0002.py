"""Migration 0002 applied to a version-1 database that already holds reports and staff."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.store import Database, NewReport, UnitRow, open_database, units
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store.casework import facet_counts


def _report(unit_key_id: int, public: bytes, conduct: str, n: int) -> NewReport:
    pair = envelope.generate_keypair()
    return NewReport(
        id=f"r{n}",
        unit_id="u1",
        channel="online",
        conduct=conduct,
        conflict=False,
        contact_scope="none",
        day="2026-01-01",
        lookup_id=bytes([n]) * 32,
        reporter_public_key=pair.public,
        report_public_key=pair.public,
        contact_public_key=None,
        unit_key_id=unit_key_id,
        sealed_report_key=envelope.seal(public, pair.private),
        sealed_contact_key=None,
        # Items are written with the columns of the schema they belong to (see _old_item):
        # today's store writes columns a version-1 database does not have.
        items=(),
    )


async def old_staff(db: Database, username: str, role: str, public: bytes) -> int:
    """An account as an older version stored it: no TOTP secret, no unit keys sealed to it."""
    return await staff_store.insert_staff(
        db,
        username=username,
        unit_id="u1",
        role=role,
        public_key=public,
        wrapped_private_key=b"w",
        totp_secret_sealed=None,
        day="2026-01-01",
        unit_key_grants={},
    )


async def test_0002_keeps_version_1_data_and_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await open_database(path, migrate_up_to=1)
    pair = envelope.generate_keypair()
    await units.insert_unit(db, UnitRow("u1", "Unit one", "force"), "2026-01-01")
    key_id = await units.insert_unit_key(db, "u1", pair.public, "2026-01-01", {})
    for n, conduct in enumerate(("corruption", "corruption", "discrimination")):
        await report_store.insert_report(db, _report(key_id, pair.public, conduct, n))
    await db.close()
    with sqlite3.connect(path) as raw:  # the report item as version 1 stored it
        raw.execute(
            "INSERT INTO items (report_seq, kind, created_day, ciphertext, key_for_unit) "
            "VALUES (1, 'report', '2026-01-01', x'01', x'01')"
        )
    db = await open_database(path, migrate_up_to=1)
    staff_id = await old_staff(db, "old", "investigator", pair.public)
    assert await db.schema_version() == 1
    await db.close()

    db = await open_database(path, migrate_up_to=2)
    try:
        assert await db.schema_version() == 2
        assert sorted(await facet_counts(db, "u1")) == [
            ("new", "corruption", "online", 2),
            ("new", "discrimination", "online", 1),
        ]
        assert await staff_store.last_totp_step(db, staff_id) is None
        assert await staff_store.claim_totp_step(db, staff_id, 10, "2026-01-02")
        assert not await staff_store.claim_totp_step(db, staff_id, 10, "2026-01-02")
        found = await db.fetch_one("SELECT count(*) FROM items WHERE report_seq = 1")
        assert found is not None and found[0] == 1
    finally:
        await db.close()
