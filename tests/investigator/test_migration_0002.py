"""Migration 0002 applied to a version-1 database that already holds reports and staff."""

from __future__ import annotations

from pathlib import Path

from dropbox_server import envelope
from dropbox_server.store import Database, NewItem, NewReport, UnitRow, open_database, units
from dropbox_server.store import staff as staff_store
from dropbox_server.store.casework import facet_counts


def _report(unit_key_id: int, public: bytes, conduct: str, n: int) -> NewReport:
    pair = envelope.generate_keypair()
    blob, key, _ = envelope.seal_new_item(pair.public, b"{}", b"ctx")
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
        items=(NewItem("report", blob, key),),
    )


async def old_report(db: Database, report: NewReport) -> None:
    """A report as versions 1 to 5 stored it (no routing columns), written with their SQL."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "INSERT INTO reports (id, unit_id, first_unit_id, channel, conduct, conflict, contact_scope, "
            "created_day, last_activity_day, lookup_id, reporter_public_key, report_public_key) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (report.id, report.unit_id, report.unit_id, report.channel, report.conduct, int(report.conflict),
             report.contact_scope, report.day, report.day, report.lookup_id, report.reporter_public_key,
             report.report_public_key),
        )
        seq = cur.lastrowid
        await tx.execute(
            "INSERT INTO report_key_grants VALUES (?, 'content', ?, ?)",
            (seq, report.unit_key_id, report.sealed_report_key),
        )
        for i in report.items:
            await tx.execute(
                "INSERT INTO items (report_seq, kind, created_day, ciphertext, key_for_unit) VALUES (?,?,?,?,?)",
                (seq, i.kind, report.day, i.ciphertext, i.key_for_unit),
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
        await old_report(db, _report(key_id, pair.public, conduct, n))
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
        # One item per report (counted in SQL: today's store reads a later schema).
        per_report = await db.fetch_all("SELECT count(*) FROM items GROUP BY report_seq")
        assert [int(r[0]) for r in per_report] == [1, 1, 1]
    finally:
        await db.close()
