"""Phone intake: a call handler types in a caller's report and adds to it with their receipt."""

from __future__ import annotations

import re
from html import unescape

import aiohttp

from dropbox_server.clock import today
from dropbox_server.stats.table import StatsQuery, statistics
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import Investigator, text_of
from tests.journeys import Reporter, report_fields
from tests.leakcheck import remember, remember_fields

_RECEIPT = re.compile(r'<p class="receipt-line" lang="en">.*?</span>([a-z ]+)</p>', re.S)


async def _take(handler: Investigator, **overrides: str) -> tuple[int, str]:
    _, page = await handler.get("/intake")
    fields = report_fields(**overrides)
    remember_fields(fields)
    return await handler.post("/intake", fields, csrf_page=page)


async def _receipt(handler: Investigator, **overrides: str) -> str:
    status, page = await _take(handler, **overrides)
    assert status == 200, page[:3000]
    match = _RECEIPT.search(page)
    assert match, "no receipt on the page"
    remember(match.group(1).strip())
    return match.group(1).strip()


async def _calls(ws: Workspace, unit: str) -> int:
    """The unit's calls this month as published: a single small count is "fewer than 5"."""
    month = today()[:7]
    table = await statistics(ws.services.db, StatsQuery(month, month, unit))
    cell = table.total[0]
    assert cell.exact == 0 or cell.fewer_than_5
    return cell.low


async def test_a_phone_report_is_routed_counted_and_opens_online(workspace: Workspace) -> None:
    handler = await workspace.signed_in("carol", "national-hub", "call_handler")
    receipt = await _receipt(handler, what_happened="A sergeant sells PNC checks to a gang.")
    status, page = await handler.get("/intake")
    assert status == 200 and receipt not in page
    row = await workspace.services.db.fetch_one("SELECT unit_id, channel FROM reports")
    assert row is not None and tuple(row) == ("kent-police", "phone")
    assert await _calls(workspace, "kent-police") == 1
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        page = await Reporter(http, workspace.reporter_url).open_thread(receipt)
        assert "Your report has arrived" in page
    alice = await workspace.signed_in("alice", "kent-police")
    _, inbox = await alice.get("/inbox?channel=phone")
    report_page = text_of(await alice.open_report(re.findall(r'href="/reports/([a-z0-9]+)"', inbox)[0]))
    assert "A sergeant sells PNC checks to a gang." in report_page


async def test_unknown_force_goes_to_the_hub_and_nothing_is_audited(workspace: Workspace) -> None:
    handler = await workspace.signed_in("carol", "national-hub", "call_handler")
    await _receipt(handler, force="unknown")
    row = await workspace.services.db.fetch_one("SELECT unit_id FROM reports")
    assert row is not None and row[0] == "national-hub"
    actions = [r[0] for r in await workspace.services.db.fetch_all("SELECT action FROM audit_log")]
    assert "sign_in" in actions and not set(actions) - {"sign_in", "enrolment_requested", "enrolment_redeemed"}


async def test_a_bad_form_comes_back_with_what_was_typed(workspace: Workspace) -> None:
    handler = await workspace.signed_in("carol", "national-hub", "call_handler")
    status, page = await _take(handler, what_happened="", subject_name="DC Nobody", force="")
    assert status == 400 and "DC Nobody" in page and "Tell us what happened." in page
    status, page = await handler.post("/intake", {**report_fields(), "csrf_token": "forged"})
    assert status == 403 and "An officer took money" in page
    assert await workspace.services.db.fetch_one("SELECT 1 FROM reports") is None


async def test_roles_are_kept_apart(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    handler = await workspace.signed_in("carol", "kent-police", "call_handler")
    for path in ("/inbox", f"/reports/{report_id}", "/passed-on"):
        status, _ = await handler.get(path)
        assert status == 403, path
    alice = await workspace.signed_in("alice", "kent-police")
    for path in ("/intake", "/intake/caller"):
        status, _ = await alice.get(path)
        assert status == 403, path
    status, _ = await alice.post("/intake", report_fields(), csrf_page=await alice.open_report(report_id))
    assert status == 403


async def _open_call(handler: Investigator, receipt: str) -> tuple[int, str]:
    _, page = await handler.get("/intake/caller")
    return await handler.post("/intake/caller", {"receipt": receipt}, csrf_page=page)


def _call_token(page: str) -> str:
    match = re.search(r'name="call" value="([^"]+)"', page)
    assert match
    return unescape(match.group(1))


async def test_a_caller_hears_replies_and_adds_once(workspace: Workspace) -> None:
    receipt, report_id = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    await alice.act(report_id, "reply", {"reply": "Can you tell us which day it was?"})
    handler = await workspace.signed_in("carol", "national-hub", "call_handler")
    status, page = await _open_call(handler, receipt)
    assert status == 200 and "Can you tell us which day it was?" in text_of(page)
    token = _call_token(page)
    remember("It was the 3rd of May, a Friday.")
    status, where = await handler.post(
        "/intake/caller/follow-up",
        {"message": "It was the 3rd of May, a Friday.", "call": token},
        csrf_page=page,
    )
    assert (status, where) == (303, "/intake/caller?result=added")
    assert "It was the 3rd of May, a Friday." in text_of(await alice.open_report(report_id))
    assert await _calls(workspace, "kent-police") == 1  # the online report is not a call; this is
    status, again = await handler.post(
        "/intake/caller/follow-up", {"message": "more", "call": token}, csrf_page=page
    )
    assert status == 403 and "nothing was added" in again
    status, page = await handler.get("/intake/caller")
    assert "Can you tell us" not in page


async def test_an_open_call_is_only_its_handlers_and_ends(workspace: Workspace) -> None:
    receipt, _ = await submit(workspace)
    carol = await workspace.signed_in("carol", "national-hub", "call_handler")
    dave = await workspace.signed_in("dave", "national-hub", "call_handler")
    _, page = await _open_call(carol, receipt)
    token = _call_token(page)
    _, dave_page = await dave.get("/intake/caller")
    status, _ = await dave.post(
        "/intake/caller/follow-up", {"message": "x", "call": token}, csrf_page=dave_page
    )
    assert status == 403
    status, where = await carol.post("/intake/caller/end", {"call": token}, csrf_page=page)
    assert (status, where) == (303, "/intake/caller?result=ended")
    status, _ = await carol.post("/intake/caller/follow-up", {"message": "x", "call": token}, csrf_page=page)
    assert status == 403
    row = await workspace.services.db.fetch_one("SELECT count(*) FROM items WHERE kind = 'reporter_message'")
    assert row is not None and row[0] == 0


async def test_a_wrong_receipt_opens_nothing(workspace: Workspace) -> None:
    receipt, _ = await submit(workspace)
    handler = await workspace.signed_in("carol", "national-hub", "call_handler")
    words = receipt.split(" ")
    wrong = " ".join([*words[:-1], "abacus" if words[-1] != "abacus" else "abdomen"])
    status, page = await _open_call(handler, wrong)
    assert status == 200 and "That receipt did not open a report" in page and 'name="call"' not in page
    status, page = await _open_call(handler, "not a receipt")
    assert status == 400


async def test_call_handlers_start_at_the_intake_form(workspace: Workspace) -> None:
    handler = await workspace.enrol("handler-start", "national-hub", role="call_handler")
    status, where = await handler.sign_in_with(handler.username, handler.password, handler.code())
    assert (status, where) == (303, "/intake")
    status, page = await handler.get("/")
    assert status == 200 and "Take a report by phone" in page
