"""When a reporter deletes their report, the unit sees only that it was withdrawn, and when."""

from __future__ import annotations

import aiohttp

from tests.investigator.conftest import Workspace
from tests.journeys import Reporter, csrf_from, multipart


async def test_the_unit_sees_a_withdrawal_record_and_nothing_else(workspace: Workspace) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        reporter = Reporter(http, workspace.reporter_url)
        receipt = await reporter.submit_ok(what_happened="WITHDRAWNMARKERZq9 soon to be deleted")
        await reporter.open_thread(receipt)
        _, page = await reporter.get("/thread/withdraw")
        data = multipart({"confirm": "yes", "csrf_token": csrf_from(page)})
        async with http.post(workspace.reporter_url + "/thread/withdraw", data=data) as resp:
            assert resp.status == 200
    status, page = await alice.get("/passed-on")
    assert status == 200
    assert "Reports withdrawn by their reporters" in page
    assert "WITHDRAWNMARKERZq9" not in page
    row = await workspace.services.db.fetch_one("SELECT report_id, day FROM withdrawn_reports")
    assert row is not None and row[0] in page and row[1] in page
