"""The reporter journey over real HTTP: submit, receipt, check back, reply, follow-up."""

from __future__ import annotations

import aiohttp

from dropbox_server.clock import today
from dropbox_server.custody import keyring
from dropbox_server.forces import DESK_ID
from dropbox_server.reports import casework
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from receipt_codes import parse_receipt
from tests.conftest import Sites, enrol_member
from tests.journeys import Reporter


async def enrol(sites: Sites, username: str, unit: str) -> keyring.UnlockedStaff:
    db = sites.services.db
    await enrol_member(
        db,
        username=username,
        unit_id=unit,
        role="desk_analyst" if unit == DESK_ID else "investigator",  # whoever holds the report
        password=f"pw-{username}-long-enough",
    )
    row = await staff_store.get_staff_by_username(db, username)
    assert row is not None
    return await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, f"pw-{username}-long-enough"))


async def test_full_journey(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    receipt = await reporter.submit_ok(what_happened="He asked for cash to lose the file.")
    assert len(receipt.split()) == 7

    page = await reporter.open_thread(receipt)
    assert "waiting to be read" in page

    alice = await enrol(sites, "alice", "kent-police")
    access = await open_with_receipt(sites.services.db, sites.services.receipts, parse_receipt(receipt))
    assert access is not None
    report = await report_store.get_report(sites.services.db, access.report_id)
    assert report is not None
    opened = await casework.open_report(sites.services.db, report, alice.unit_keys)
    assert opened.content.what_happened == "He asked for cash to lose the file."
    await casework.reply_to_reporter(
        sites.services.db, report, alice, "Can you tell us the date?", today()
    )

    page = await reporter.open_thread(receipt)
    assert "Can you tell us the date?" in page

    status, _ = await reporter.follow_up("It was the 3rd of March.")
    assert status == 200
    opened = await casework.open_report(sites.services.db, report, alice.unit_keys)
    assert [m.text for m in opened.messages] == ["Can you tell us the date?", "It was the 3rd of March."]


async def test_reply_is_readable_only_with_the_receipt(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    receipt = await reporter.submit_ok()
    alice = await enrol(sites, "alice", "kent-police")
    access = await open_with_receipt(sites.services.db, sites.services.receipts, parse_receipt(receipt))
    assert access is not None
    report = await report_store.get_report(sites.services.db, access.report_id)
    assert report is not None
    await casework.reply_to_reporter(sites.services.db, report, alice, "secret reply", today())

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as stranger_http:
        stranger = Reporter(stranger_http, sites.reporter_url)
        _status, page = await stranger.get("/thread")
        assert "secret reply" not in page
        other = await stranger.submit_ok()
        page = await stranger.open_thread(other)
        assert "secret reply" not in page

    # A different unit's member cannot open the report at all.
    bob = await enrol(sites, "bob", "essex-police")
    try:
        await casework.open_report(sites.services.db, report, bob.unit_keys)
        raise AssertionError("another unit opened the report")
    except casework.NotReadable:
        pass
