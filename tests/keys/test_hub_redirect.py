"""Taking Kent off the forms (one byte of its certificate) to push Kent's reporters to the
national hub. Attacker: a database writer. What it costs them: it is loud, and it holds."""

from __future__ import annotations

import argparse
import sqlite3

import pytest
from multidict import MultiDict

from dropbox_server import health
from dropbox_server.cli.status import cmd_status
from dropbox_server.clock import today
from dropbox_server.config import FormLimits, Settings
from dropbox_server.custody import unit_admin
from dropbox_server.forces import HUB_ID
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.routing import route_report
from dropbox_server.reports.unit_choices import force_choices, pass_on_ids
from dropbox_server.store import open_database
from dropbox_server.web.formdata import FormData
from dropbox_server.web.reporter.forms import validate_report
from tests.conftest import init_test_data_dir
from tests.keys.test_officer_cli import run


def _break(settings: Settings, unit_id: str) -> None:
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE units SET certificate = zeroblob(32) WHERE id = ?", (unit_id,))


async def test_defence_taking_kent_off_the_form_is_loud(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    await init_test_data_dir(settings)
    assert "units" not in {c.name for c in health.gather(settings, today()).checks if not c.ok}
    _break(settings, "kent-police")
    db = await open_database(settings.database_path)
    try:
        forces = {f.unit_id for f in await force_choices(db)}
        assert "kent-police" not in forces
        # A report naming Kent that reaches routing goes to the hub...
        route = await route_report(db, ReportContent(force="kent-police", conduct="corruption"))
        assert route.unit_id == HUB_ID
        # ...but the reporter's form does not take it silently: it asks them to choose again.
        form = FormData(MultiDict({"force": "kent-police", "conduct": "corruption", "what_happened": "x",
                                   "contact_choice": "anonymous"}))
        result = validate_report(form, FormLimits(), forces)
        assert "force" in result.errors and result.content is None
    finally:
        await db.close()
    checks = {c.name: c for c in health.gather(settings, today()).checks}
    assert not checks["units"].ok and checks["units"].facts["failed_units"] == ["kent-police"]
    assert cmd_status(argparse.Namespace(data_dir=settings.data_dir, json=False)) == 1  # status fails
    assert "kent-police" in capsys.readouterr().out  # and names the unit


async def test_defence_breaking_the_hubs_own_certificate_keeps_unknown_reports_going_to_it(
    settings: Settings,
) -> None:
    """The hub failing its checks leaves the passing-on lists (loudly) but "I don't know" and
    every report naming a failing force still go to it: routing does not depend on the hub's row."""
    await init_test_data_dir(settings)
    _break(settings, HUB_ID)
    db = await open_database(settings.database_path)
    try:
        assert HUB_ID not in await pass_on_ids(db, "kent-police")
        route = await route_report(db, ReportContent(force="unknown", conduct="corruption"))
        assert route.unit_id == HUB_ID
    finally:
        await db.close()
    failed = {c.name: c for c in health.gather(settings, today()).checks if not c.ok}
    assert failed["units"].facts["failed_units"] == [HUB_ID]


async def test_kent_taken_off_the_form_for_a_while_leaves_no_trace_known_limit(settings: Settings) -> None:
    """Admitted limit (insider finding V5, not fixed; README): loud only while it lasts: a failing unit is never recorded (the check is silent, unlike a
    refused key check, which stays red until K share holders acknowledge it). The writer breaks
    Kent's certificate for a week (Kent's reporters are asked to choose again; "I don't know"
    goes to the hub), then puts it back: health, status and the audit log are as before."""
    await init_test_data_dir(settings)
    baseline = {c.name for c in health.gather(settings, today()).checks if not c.ok}
    with sqlite3.connect(settings.database_path) as raw:
        (real,) = raw.execute("SELECT certificate FROM units WHERE id = 'kent-police'").fetchone()
        (entries,) = raw.execute("SELECT count(*) FROM audit_log").fetchone()
    _break(settings, "kent-police")
    db = await open_database(settings.database_path)
    try:  # the week: the forms and lists are rendered, staff look at cases, ...
        assert "kent-police" not in {f.unit_id for f in await force_choices(db)}
        assert "kent-police" not in await pass_on_ids(db, "essex-police")
    finally:
        await db.close()
    assert "units" in {c.name for c in health.gather(settings, today()).checks if not c.ok}
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE units SET certificate = ? WHERE id = 'kent-police'", (real,))
        assert raw.execute("SELECT count(*) FROM audit_log").fetchone()[0] == entries  # nothing recorded
    assert {c.name for c in health.gather(settings, today()).checks if not c.ok} == baseline


async def test_list_units_advises_restoring_the_row_not_a_rename_that_is_refused(settings: Settings) -> None:
    """Regression (insider finding V8, was 'attack succeeds'): for a unit failing its
    certificate `keys list-units` said "Rename it (`keys rename-unit`, K shares)", which
    rename-unit refuses for exactly that unit. It now says to restore the row from a backup."""
    await init_test_data_dir(settings)
    _break(settings, "kent-police")
    done = run(settings.data_dir, "keys", "list-units")
    assert "fails its certificate" in done.stdout and "restore the row from a backup" in done.stdout
    assert "Rename it (`keys rename-unit`" not in done.stdout
    db = await open_database(settings.database_path)
    try:
        with pytest.raises(unit_admin.UnitRefused, match="certificate"):
            await unit_admin.rename_unit(db, "kent-police", "Kent Police North")
    finally:
        await db.close()
