"""Units are certified (id, name, kind, retired day) under the outside key: a database writer
who changes units.name, name_key or retired_day is seen by health, and the unit is offered on
no form and no passing-on list (insider finding U2)."""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server import health
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify, directory, unit_admin
from dropbox_server.forces import HUB_ID
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.routing import route_report
from dropbox_server.reports.unit_choices import force_choices, pass_on_ids
from dropbox_server.store import open_database
from tests.conftest import init_test_data_dir


def failing(settings: Settings) -> dict[str, health.Check]:
    return {c.name: c for c in health.gather(settings, today()).checks if not c.ok}


async def _initialised(settings: Settings) -> set[str]:
    await init_test_data_dir(settings)
    return set(failing(settings))


async def test_a_writer_renaming_essex_as_kent_is_seen_and_not_offered(settings: Settings) -> None:
    """Regression (insider finding U2, was 'attack succeeds'): Essex's unit shown as "Kent
    Police" (a zero-width space and a Cyrillic е), its name key left as Essex's."""
    baseline = await _initialised(settings)
    assert "units" not in baseline
    fake = "K\u0435nt\u200b Police"
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE units SET name = ? WHERE id = 'essex-police'", (fake,))
    db = await open_database(settings.database_path)
    try:
        offered = {f.unit_id: f.name for f in await force_choices(db)}
        assert offered["kent-police"] == "Kent Police" and "essex-police" not in offered
        assert "essex-police" not in await pass_on_ids(db, "kent-police")
        assert "essex-police" not in dict(await directory.receiving_units(db))
        listed = {u.unit_id: u.name_clash for u in await unit_admin.units_with_keys(db)}
        assert listed["essex-police"] is False  # (without the checks, list-units cannot tell)
        route = await route_report(db, ReportContent(force="essex-police", conduct="corruption"))
        assert route.unit_id == HUB_ID  # a reporter's forged choice goes to the national hub
        with pytest.raises(unit_admin.UnitRefused, match="essex-police"):  # nothing certifies it
            await unit_admin.rename_unit(db, "essex-police", "Essex Police North")
    finally:
        await db.close()
    units = failing(settings)["units"]
    assert units.facts["failed_units"] == ["essex-police"] and "certificate" in units.summary


async def test_a_writer_retiring_kent_and_reviving_a_retired_unit_is_seen(settings: Settings) -> None:
    """Regression (insider finding U2, was 'attack succeeds'): retire-unit needs K shares; the
    column it sets is now certified, so neither change passes unseen, and the revived unit
    is not offered."""
    await _initialised(settings)
    db = await open_database(settings.database_path)
    try:
        await unit_admin.retire_unit(db, "surrey-police", today())  # retired properly (shares at the CLI)
    finally:
        await db.close()
    assert "units" not in failing(settings)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE units SET retired_day = '2026-01-01' WHERE id = 'kent-police'")
        raw.execute("UPDATE units SET retired_day = NULL WHERE id = 'surrey-police'")
    db = await open_database(settings.database_path)
    try:
        assert "surrey-police" not in {f.unit_id for f in await force_choices(db)}
    finally:
        await db.close()
    assert failing(settings)["units"].facts["failed_units"] == ["kent-police", "surrey-police"]


async def test_a_writer_changing_only_the_name_key_is_seen(settings: Settings) -> None:
    await _initialised(settings)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE units SET name_key = 'x' WHERE id = 'essex-police'")
    db = await open_database(settings.database_path)
    try:
        assert "essex-police" not in {f.unit_id for f in await force_choices(db)}
    finally:
        await db.close()
    assert failing(settings)["units"].facts["failed_units"] == ["essex-police"]


async def test_a_writer_asking_for_units_to_be_certified_again_is_refused(settings: Settings) -> None:
    """The one-time upgrade does not run again once units.certified exists; it is audited."""
    await _initialised(settings)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE units SET name = 'Kent Police 2' WHERE id = 'essex-police'")
        raw.execute("INSERT INTO unit_certification_owed (id) VALUES (1)")
    db = await open_database(settings.database_path)
    try:
        assert await certify.certify_units_upgrade(db) is None
        row = await db.fetch_one("SELECT count(*) FROM audit_log WHERE action = 'key_check_failed'")
        assert row is not None and row[0] == 1
    finally:
        await db.close()
    assert failing(settings)["units"].facts["failed_units"] == ["essex-police"]


async def test_defence_the_name_key_index_refuses_a_second_equal_key(settings: Settings) -> None:
    """The index holds only against writes that fill name_key honestly (the product's)."""
    await _initialised(settings)
    with sqlite3.connect(settings.database_path) as raw:
        (kent_key,) = raw.execute("SELECT name_key FROM units WHERE id = 'kent-police'").fetchone()
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute("UPDATE units SET name_key = ? WHERE id = 'essex-police'", (kent_key,))
