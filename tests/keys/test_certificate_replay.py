"""An older certified unit row put back is refused (insider finding V1).

A unit's certificate covers (id, name, kind, retired_day); a rename or retirement also names
the new certificate in its keyed audit entry, and the row must match the newest such entry.
A database writer who kept an older copy of a unit's row and puts it back, certificate and
all, fails the units check: the unit is offered nowhere and health is red.

Attacker: a database writer (a copy of the database written back; no audit.key, no shares).
The earlier row was certified by the server itself, so it passes every check.
"""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server import envelope, health
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import unit_admin
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.routing import route_report
from dropbox_server.reports.submission import submit_report
from dropbox_server.reports.unit_choices import force_choices, pass_on_ids
from dropbox_server.services import open_services
from dropbox_server.store import open_database
from tests.conftest import init_test_data_dir

Row = tuple[str, str, str | None, bytes]


def _failing(settings: Settings) -> set[str]:
    return {c.name for c in health.gather(settings, today()).checks if not c.ok}


def _row(settings: Settings, unit_id: str) -> Row:
    """What the writer keeps from an old copy: the unit's row as the server certified it."""
    with sqlite3.connect(settings.database_path) as raw:
        name, key, retired, cert = raw.execute(
            "SELECT name, name_key, retired_day, certificate FROM units WHERE id = ?", (unit_id,)
        ).fetchone()
    return name, key, retired, bytes(cert)


def _put_back(settings: Settings, unit_id: str, row: Row) -> None:
    name, key, retired, cert = row
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute(
            "UPDATE units SET name = ?, name_key = ?, retired_day = ?, certificate = ? WHERE id = ?",
            (name, key, retired, cert, unit_id),
        )


async def test_writer_cannot_revive_a_retired_unit_with_its_old_certificate(
    settings: Settings,
) -> None:
    """Regression (insider finding V1, was 'attack succeeds'): Surrey is retired properly; the
    writer puts back Surrey's row from before the retirement (retired_day NULL and the
    certificate the server made for it). Health is red, Surrey is on no form or list, and a
    report naming Surrey goes to the hub, not to Surrey's key."""
    await init_test_data_dir(settings)
    assert "units" not in _failing(settings)
    before = _row(settings, "surrey-police")
    assert before[2] is None
    db = await open_database(settings.database_path)
    try:
        await unit_admin.retire_unit(db, "surrey-police", today())
        assert "surrey-police" not in {f.unit_id for f in await force_choices(db)}
    finally:
        await db.close()
    assert "units" not in _failing(settings)
    _put_back(settings, "surrey-police", before)  # the writer's SQL
    units = next(c for c in health.gather(settings, today()).checks if c.name == "units")
    assert not units.ok and units.facts["failed_units"] == ["surrey-police"]
    async with open_services(settings) as services:
        db = services.db
        assert "surrey-police" not in {f.unit_id for f in await force_choices(db)}
        assert "surrey-police" not in await pass_on_ids(db, "kent-police")
        content = ReportContent(force="surrey-police", conduct="corruption", what_happened="x")
        assert (await route_report(db, content)).unit_id != "surrey-police"
        await submit_report(db, services.receipts, content, None, "online", today())
        row = await db.fetch_one("SELECT count(*) FROM reports WHERE unit_id = 'surrey-police'")
        assert row is not None and row[0] == 0


async def test_writer_cannot_undo_a_rename_with_the_old_certificate(settings: Settings) -> None:
    """Regression (insider finding V1, was 'attack succeeds'): security staff rename a unit;
    the writer puts the old name, name key and certificate back. Health is red and the unit
    is offered nowhere (under neither name)."""
    await init_test_data_dir(settings)
    before = _row(settings, "kent-police")
    db = await open_database(settings.database_path)
    try:
        await unit_admin.rename_unit(db, "kent-police", "Kent and Medway Police")
        assert {f.unit_id: f.name for f in await force_choices(db)}["kent-police"] == "Kent and Medway Police"
    finally:
        await db.close()
    assert "units" not in _failing(settings)
    _put_back(settings, "kent-police", before)
    assert "units" in _failing(settings)
    db = await open_database(settings.database_path)
    try:
        assert "kent-police" not in {f.unit_id for f in await force_choices(db)}
    finally:
        await db.close()


async def test_a_forged_newer_entry_does_not_bless_an_old_row(settings: Settings) -> None:
    """V1: a writer who also copies the rename's entry with the old certificate's digest in it
    (they cannot make its keyed link) still fails: the newest entry must link under audit.key."""
    await init_test_data_dir(settings)
    before = _row(settings, "kent-police")
    db = await open_database(settings.database_path)
    try:
        await unit_admin.rename_unit(db, "kent-police", "Kent and Medway Police")
    finally:
        await db.close()
    _put_back(settings, "kent-police", before)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        seq, detail = raw.execute(
            "SELECT seq, detail FROM audit_log WHERE action = 'unit_renamed' ORDER BY seq DESC"
        ).fetchone()
        forged = detail.split(" cert=")[0] + " cert=" + envelope.checksum(before[3])[:16].hex()
        raw.execute("UPDATE audit_log SET detail = ? WHERE seq = ?", (forged, seq))
    assert "units" in _failing(settings)


@pytest.mark.parametrize("field", ["swap", "other-kind"])
async def test_defence_a_certificate_is_bound_to_its_unit_id_and_kind(settings: Settings, field: str) -> None:
    """Another unit's row and certificate, copied onto Kent's id (or Kent as the hub's kind),
    fails: the id and the kind are under the certificate."""
    await init_test_data_dir(settings)
    with sqlite3.connect(settings.database_path) as raw:
        if field == "swap":
            (cert,) = raw.execute("SELECT certificate FROM units WHERE id = 'essex-police'").fetchone()
            raw.execute("UPDATE units SET certificate = ? WHERE id = 'kent-police'", (cert,))
        else:
            raw.execute("UPDATE units SET kind = 'hub' WHERE id = 'kent-police'")
    db = await open_database(settings.database_path)
    try:
        assert "kent-police" not in {f.unit_id for f in await force_choices(db)}
    finally:
        await db.close()
    assert "units" in _failing(settings)
