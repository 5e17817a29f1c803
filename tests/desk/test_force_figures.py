"""M1: a force's statistics count only what was passed to it.

Before the fix a call or online report that reached the desk counted, live, for the force
the reporter named: a Kent supervisor refreshing /statistics saw "Online reports" go from
5 to 6 the moment a report naming Kent arrived, before (or without) any package.
"""

from __future__ import annotations

import aiohttp

from dropbox_server.clock import today
from dropbox_server.stats.table import StatsQuery, statistics
from dropbox_server.store import stats as stats_store
from tests.desk.flow import CHECKLIST, draft_action, draft_package
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import text_of


async def _totals(ws: Workspace, unit: str | None) -> dict[str, int | None]:
    month = today()[:7]
    table = await statistics(ws.services.db, StatsQuery(month, month, unit, "month"))
    return {c.key: cell.exact for c, cell in zip(table.columns, table.total, strict=True)}


async def test_reports_naming_a_force_do_not_show_in_its_figures_until_a_package(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    ws = workspace
    ken = await ws.signed_in("ken", "kent-police", "supervisor")
    _, before = await ken.get("/statistics?period=month&scope=unit")
    ids = [(await submit(ws, force="kent-police"))[1] for _ in range(6)]
    _, after = await ken.get("/statistics?period=month&scope=unit")
    assert text_of(after) == text_of(before)  # Kent's page does not move
    kent = await _totals(ws, "kent-police")
    assert kent["online"] == 0 and kent["received"] == 0 and kent["packages"] == 0
    national = await _totals(ws, None)
    assert national["online"] == 6  # the desk's figures, in the national table

    ann = await ws.signed_in("ann", "desk", "desk_analyst")
    sue = await ws.signed_in("sue", "desk", "desk_supervisor")
    draft = await draft_package(ann, ids[0], "kent-police")
    await draft_action(ann, draft, "submit", {})
    assert (await draft_action(sue, draft, "approve", CHECKLIST))[0] == 303
    month = today()[:7]
    counted = await stats_store.monthly_counts(ws.services.db, month, month, "kent-police")
    assert sorted((c.measure, c.count) for c in counted) == [("package", 1), ("received", 1)]
