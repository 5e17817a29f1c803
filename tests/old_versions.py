"""Databases as older versions left them, for the migration tests: built only up to version N,
filled with rows written as that version wrote them, then opened again by a newer version.

Real SQLite files and the real migrations, nothing faked: a migration test builds its old data
with `at_version`, then checks what `migrated` finds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.store import Database, NewItem, NewReport, UnitRow, open_database
from dropbox_server.store import staff as staff_store
from dropbox_server.store.database import migrations


@asynccontextmanager
async def at_version(path: Path, version: int, u1_name: str = "Unit one") -> AsyncIterator[Database]:
    """A database migrated only up to `version`, with the force unit u1 in it; closed on leaving."""
    db = await open_database(path, migrate_up_to=version)
    try:
        await old_unit(db, UnitRow("u1", u1_name, "force"), "2026-01-01")
        yield db
    finally:
        await db.close()


async def old_unit(db: Database, unit: UnitRow, day: str) -> None:
    """A unit as versions 1 to 20 stored it (no name key), written with their SQL."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO units (id, name, kind, created_day) VALUES (?, ?, ?, ?)",
            (unit.id, unit.name, unit.kind, day),
        )


@asynccontextmanager
async def migrated(path: Path, version: int | None) -> AsyncIterator[Database]:
    """The same file opened by a newer version, migrated up to `version` (None: the latest)."""
    db = await open_database(path, migrate_up_to=version)
    try:
        assert await db.schema_version() == (version or len(migrations()))
        yield db
    finally:
        await db.close()


def new_report(unit_key_id: int, public: bytes, conduct: str, n: int) -> NewReport:
    """Report number `n` of unit u1, its key sealed to `public` (the unit key `unit_key_id`)."""
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
