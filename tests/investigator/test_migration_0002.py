"""Migration 0002 applied to a version-1 database that already holds reports and staff."""

from __future__ import annotations

from pathlib import Path

from dropbox_server import envelope
from dropbox_server.store import staff as staff_store
from dropbox_server.store import units
from dropbox_server.store.casework import facet_counts

# _report and old_report are still imported from here by a test outside the migration ones.
from tests.old_versions import at_version, migrated, old_report, old_staff
from tests.old_versions import new_report as _report


async def test_0002_keeps_version_1_data_and_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    pair = envelope.generate_keypair()
    async with at_version(path, 1) as db:
        key_id = await units.insert_unit_key(db, "u1", pair.public, "2026-01-01", {})
        for n, conduct in enumerate(("corruption", "corruption", "discrimination")):
            await old_report(db, _report(key_id, pair.public, conduct, n))
        staff_id = await old_staff(db, "old", "investigator", pair.public)
        assert await db.schema_version() == 1

    async with migrated(path, 2) as db:
        assert sorted(await facet_counts(db, "u1")) == [
            ("new", "corruption", "online", 2),
            ("new", "discrimination", "online", 1),
        ]
        assert await staff_store.last_totp_step(db, staff_id) is None
        assert await staff_store.claim_totp_step(db, staff_id, 10, "2026-01-02")
        assert not await staff_store.claim_totp_step(db, staff_id, 10, "2026-01-02")
        # One item per report (counted in SQL: today's store reads a later schema).
        per_report = await db.fetch_all("SELECT count(*) FROM items GROUP BY report_seq")
        assert [int(r[0]) for r in per_report] == [1, 1, 1]
