"""A phone report cannot be deleted online: the call handler heard its receipt.

Before, whoever held the receipt (the handler too) could delete a phone report from the
reporter site, unaudited. Now the reporter site sends the unit a withdrawal request instead,
and both the caller (when the receipt is read out) and the check-back page say so.
"""

from __future__ import annotations

import re

import aiohttp

from tests.intake.test_phone_intake import _receipt
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import text_of
from tests.journeys import Reporter, csrf_from


async def _withdraw(reporter: Reporter) -> tuple[int, str, str]:
    status, page = await reporter.get("/thread/withdraw")
    assert status == 200
    data = {"csrf_token": csrf_from(page), "confirm": "yes"}
    async with reporter.http.post(reporter.base + "/thread/withdraw", data=data) as resp:
        return resp.status, str(resp.url.path), await resp.text()


async def test_a_phone_report_is_not_deleted_online_but_the_unit_sees_a_request(workspace: Workspace) -> None:
    handler = await workspace.signed_in("carol", "national-hub", "call_handler")
    receipt = await _receipt(handler, what_happened="A sergeant sells PNC checks to a gang.")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        reporter = Reporter(http, workspace.reporter_url)
        thread = text_of(await reporter.open_thread(receipt))
        assert "taken by phone, so it cannot be deleted online" in thread
        status, path, page = await _withdraw(reporter)
        assert status == 200 and path == "/thread", (status, path)
        assert "Your request to withdraw your report was sent" in text_of(page)
    row = await workspace.services.db.fetch_one("SELECT count(*) FROM reports")
    assert row is not None and row[0] == 1, "the phone report was deleted online"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        assert "Your report has arrived" in await Reporter(http, workspace.reporter_url).open_thread(receipt)
    alice = await workspace.signed_in("alice", "kent-police")
    _, inbox = await alice.get("/inbox?channel=phone")
    report_id = re.findall(r'href="/reports/([a-z0-9]+)"', inbox)[0]
    report_page = text_of(await alice.open_report(report_id))
    assert "asked online for this report to be withdrawn" in report_page
    assert "call handler also heard the receipt" in report_page


async def test_the_caller_is_told_when_the_receipt_is_read_out(workspace: Workspace) -> None:
    handler = await workspace.signed_in("carol", "national-hub", "call_handler")
    _, page = await handler.get("/intake")
    fields = {"force": "kent-police", "conduct": "corruption", "what_happened": "Money taken.",
              "contact_choice": "anonymous"}
    status, page = await handler.post("/intake", fields, csrf_page=page)
    assert status == 200
    assert "cannot be deleted online" in text_of(page)


async def test_an_online_report_can_still_be_deleted(workspace: Workspace) -> None:
    receipt, _report_id = await submit(workspace)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        reporter = Reporter(http, workspace.reporter_url)
        await reporter.open_thread(receipt)
        status, path, _ = await _withdraw(reporter)
    assert (status, path) == (200, "/withdrawn")
    row = await workspace.services.db.fetch_one("SELECT count(*) FROM reports")
    assert row is not None and row[0] == 0
