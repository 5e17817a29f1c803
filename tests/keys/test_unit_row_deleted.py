"""A writer DELETES a unit's row (foreign keys are a per-connection setting: off for them).

Regression (insider finding V3): health's units check now wants every seeded force, the hub,
the desk under desk routing and every unit a key, member, report or the audit log names to
have a row; a deletion turns it red naming the unit, and a report whose unit is missing is
refused before anything is stored (RouteUnavailable: the sender gets a "cannot accept this
now" page) instead of failing on a foreign key.
Attacker: a database writer (no audit.key, no shares).
"""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server import health
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.forces import HUB_ID
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.routing import route_report
from dropbox_server.reports.submission import RouteUnavailable, submit_report
from dropbox_server.reports.unit_choices import force_choices, pass_on_ids
from dropbox_server.services import open_services
from dropbox_server.store import open_database
from tests.conftest import init_test_data_dir


def _failing(settings: Settings) -> dict[str, str]:
    return {c.name: c.summary for c in health.gather(settings, today()).checks if not c.ok}


async def test_writer_deleting_kents_unit_row_is_seen(settings: Settings) -> None:
    """Regression (insider finding V3, was 'attack succeeds')."""
    await init_test_data_dir(settings)
    baseline = _failing(settings)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        kept = raw.execute("SELECT * FROM units WHERE id = 'kent-police'").fetchone()
        raw.execute("DELETE FROM units WHERE id = 'kent-police'")
    db = await open_database(settings.database_path)
    try:
        assert "kent-police" not in {f.unit_id for f in await force_choices(db)}
        assert "kent-police" not in await pass_on_ids(db, "essex-police")
        route = await route_report(db, ReportContent(force="kent-police", conduct="corruption"))
        assert route.unit_id == HUB_ID
    finally:
        await db.close()
    failing = _failing(settings)
    assert "units" not in baseline and "kent-police" in failing["units"]  # red, naming Kent
    with sqlite3.connect(settings.database_path) as raw:  # putting it back clears it
        raw.execute(f"INSERT INTO units VALUES ({','.join('?' * len(kept))})", kept)
    db = await open_database(settings.database_path)
    try:
        assert "kent-police" in {f.unit_id for f in await force_choices(db)}
    finally:
        await db.close()
    assert _failing(settings) == baseline


async def test_writer_deleting_the_hubs_row_is_seen_and_reports_are_refused_cleanly(
    settings: Settings,
) -> None:
    """Regression (insider finding V3, was 'attack succeeds'): under direct routing a report for
    the hub is refused before anything is stored (a clear refusal, not a foreign-key error),
    and health is red naming the hub."""
    await init_test_data_dir(settings)
    baseline = _failing(settings)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("DELETE FROM units WHERE id = ?", (HUB_ID,))
    async with open_services(settings) as services:
        for content in (
            ReportContent(force="unknown", conduct="corruption", what_happened="x"),
            ReportContent(force="kent-police", conduct="corruption", conflict=True, what_happened="x"),
        ):
            with pytest.raises(RouteUnavailable):
                await submit_report(services.db, services.receipts, content, None, "online", today())
        assert await services.db.fetch_all("SELECT id FROM reports") == []
    assert "units" not in baseline and HUB_ID in _failing(settings)["units"]


async def test_writer_deleting_the_desks_row_is_seen(settings: Settings) -> None:
    """Regression (insider finding V3, was 'attack succeeds'): under desk routing every report
    goes to the desk; with its row gone none is stored (a writer can always deny), but the
    refusal is clean and health is red naming the desk."""
    await init_test_data_dir(settings, routing="desk")
    baseline = _failing(settings)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("DELETE FROM units WHERE id = 'desk'")
    async with open_services(settings) as services:
        content = ReportContent(force="kent-police", conduct="corruption", what_happened="x")
        with pytest.raises(RouteUnavailable):
            await submit_report(services.db, services.receipts, content, None, "online", today())
    assert "units" not in baseline and "desk" in _failing(settings)["units"]
