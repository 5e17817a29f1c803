"""The service reproduces its published record exactly, and keeps it after deletions."""

from __future__ import annotations

import json
import time

import pytest

from dropbox_server.config import RetentionSettings
from dropbox_server.reports.retention import run_retention
from dropbox_server.stats.formats import render
from dropbox_server.stats.table import StatsQuery, statistics
from dropbox_server.web.appkeys import Services
from tests.stats.history import FORCE, MONTHS, build_history

SEED = {"calls": 1988, "online": 890, "intelligence": 867, "investigation": 728, "passed_on": 139}


@pytest.fixture
async def history_services(services: Services) -> Services:
    started = time.monotonic()
    await build_history(services.db)
    print(f"synthetic history written in {time.monotonic() - started:.1f} s")
    return services


async def test_seed_figures_reproduced_exactly(history_services: Services) -> None:
    db = history_services.db
    for period in ("month", "quarter", "year"):
        table = await statistics(db, StatsQuery(MONTHS[0], MONTHS[-1], FORCE, period))
        totals = {c.key: cell.exact for c, cell in zip(table.columns, table.total, strict=True)}
        for key, value in SEED.items():
            assert totals[key] == value, (period, key, totals)
        assert totals["received"] == 1850 + 890 + 30
        assert totals["safeguarding"] == 84 and totals["no-further-action"] == 415
        assert totals["out-of-scope"] == 226
    data = json.loads(render(await statistics(db, StatsQuery(MONTHS[0], MONTHS[-1], FORCE, "year")), "json"))
    assert data["total"]["calls"] == {"value": 1988}
    assert [r["period"] for r in data["rows"]] == ["2024", "2025"]
    assert data["rows"][0]["calls"]["value"] + data["rows"][1]["calls"]["value"] == 1988


async def test_figures_stay_right_after_every_report_is_deleted(history_services: Services) -> None:
    db = history_services.db
    queries = [
        StatsQuery(MONTHS[0], MONTHS[-1], unit, p) for unit in (FORCE, None) for p in ("month", "year")
    ]
    before = [render(await statistics(db, q), "json") for q in queries]
    result = await run_retention(db, history_services.files, RetentionSettings(), "2040-01-01")
    assert len(result.deleted) > 2800
    row = await db.fetch_one("SELECT count(*) FROM reports")
    assert row is not None and row[0] == 0
    after = [render(await statistics(db, q), "json") for q in queries]
    assert after == before


async def test_national_figures_add_every_unit(history_services: Services) -> None:
    table = await statistics(history_services.db, StatsQuery(MONTHS[0], MONTHS[-1], None, "year"))
    totals = {c.key: cell for c, cell in zip(table.columns, table.total, strict=True)}
    # Essex: 6 online reports a month of its own; the hub's 30 were online reports too.
    assert totals["online"].exact == 890 + 6 * 15 + 30
    # Essex received Kent's 139; the hub's 30 arrivals are not a force's.
    assert totals["received"].exact == 1850 + 890 + 30 + 6 * 15 + 139
    assert totals["passed_on"].exact == 139 + 30
