"""Issue 14 item 1: a reporter session can only ever reach the report its receipt opened."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from dropbox_server.app import create_reporter_app
from dropbox_server.clock import today
from dropbox_server.config import SessionSettings, Settings
from dropbox_server.files.download import FileNotFound
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import (
    open_with_receipt,
    reporter_follow_up,
    reporter_reply_file,
    reporter_thread,
    withdraw_report,
)
from dropbox_server.reports.submission import phone_follow_up, submit_report
from dropbox_server.services import Services, open_services
from dropbox_server.web.appkeys import SESSIONS
from dropbox_server.web.reporter.session import REPORTER_COOKIE
from receipt_codes import parse_receipt
from tests.conftest import CHEAP_KDF, Sites, init_test_data_dir
from tests.journeys import Reporter, csrf_from, multipart


def _browser() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _withdraw(reporter: Reporter) -> None:
    _, page = await reporter.get("/thread/withdraw")
    data = {"csrf_token": csrf_from(page), "confirm": "yes"}
    async with reporter.http.post(reporter.base + "/thread/withdraw", data=data, allow_redirects=False) as resp:
        assert (resp.status, resp.headers["Location"]) == (303, "/withdrawn")


async def test_a_stale_session_cannot_reach_the_next_reporters_report(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    """The attack as reported: two sessions on one receipt, withdraw through one, someone else
    submits, and the other session reads and writes the newcomer's report."""
    first = Reporter(http, sites.reporter_url)
    receipt = await first.submit_ok(conduct="corruption")
    await first.open_thread(receipt)
    async with _browser() as other_browser, _browser() as newcomer_browser:
        other = Reporter(other_browser, sites.reporter_url)
        await other.open_thread(receipt)
        await _withdraw(other)
        newcomer = Reporter(newcomer_browser, sites.reporter_url)
        await newcomer.submit_ok(conduct="sexual-misconduct")

        async with http.get(sites.reporter_url + "/thread", allow_redirects=False) as resp:
            page = await resp.text()
        assert resp.status == 303, "the withdrawn report's every session must be over"
        assert "harassment" not in page
        data = multipart({"message": "planted into someone else's report", "csrf_token": csrf_from(first.pages[-1])})
        async with http.post(sites.reporter_url + "/thread/message", data=data) as resp:
            await resp.read()
    rows = await sites.services.db.fetch_all("SELECT kind FROM items WHERE kind = 'reporter_message'")
    assert rows == [], "nothing reached the newcomer's report"


def _cookie(browser: aiohttp.ClientSession) -> str:
    return next(c.value for c in browser.cookie_jar if c.key == REPORTER_COOKIE)


async def _thread_status(base: str, cookie: str) -> int:
    async with (
        aiohttp.ClientSession(cookies={REPORTER_COOKIE: cookie}) as replay,
        replay.get(base + "/thread", allow_redirects=False) as resp,
    ):
        return resp.status


async def test_one_live_session_per_report_and_per_browser(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    receipt = await reporter.submit_ok()
    other_receipt = await reporter.submit_ok()
    await reporter.open_thread(receipt)
    first = _cookie(http)
    async with _browser() as elsewhere:
        await Reporter(elsewhere, sites.reporter_url).open_thread(receipt)
        assert await _thread_status(sites.reporter_url, first) == 303, "a new check-back ends the older"
        second = _cookie(elsewhere)
        await Reporter(elsewhere, sites.reporter_url).open_thread(other_receipt)
        assert await _thread_status(sites.reporter_url, second) == 303, "a second receipt ends the first"
        assert await _thread_status(sites.reporter_url, _cookie(elsewhere)) == 200


async def test_withdrawal_ends_every_session_of_the_report(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    receipt = await reporter.submit_ok()
    await reporter.open_thread(receipt)
    live = _cookie(http)
    await _withdraw(reporter)
    assert await _thread_status(sites.reporter_url, live) == 303


async def test_every_reporter_use_case_checks_the_row_against_the_reporters_key(services: Services) -> None:
    """A session whose report row now holds another reporter's key reaches nothing of it."""
    db = services.db
    receipt = await submit_report(db, services.receipts, _content(), None, "online", today())
    access = await open_with_receipt(db, services.receipts, parse_receipt(receipt))
    assert access is not None and await reporter_thread(db, access) is not None
    async with db.transaction() as tx:  # the row now belongs to someone else's receipt
        await tx.execute("UPDATE reports SET reporter_public_key = ?", (bytes(32),))
    assert await reporter_thread(db, access) is None
    with pytest.raises(LookupError):
        await reporter_follow_up(db, access, "planted", today())
    with pytest.raises(FileNotFound):
        await reporter_reply_file(db, services.files, access, "0" * 32)
    assert not await phone_follow_up(db, access, "planted", today())
    assert await withdraw_report(db, services.files, access, today()) == "gone"
    assert await db.fetch_one("SELECT 1 FROM items WHERE kind = 'reporter_message'") is None
    assert tuple(await db.fetch_one("SELECT count(*) FROM reports") or ()) == (1,)


async def test_expired_reporter_sessions_are_swept_without_being_touched(tmp_path: Path) -> None:
    clock = [1000.0]
    settings = Settings.for_data_dir(
        tmp_path / "data",
        receipt_kdf=CHEAP_KDF,
        password_kdf=CHEAP_KDF,
        sessions=SessionSettings(sweep_seconds=0.01),
    )
    await init_test_data_dir(settings, routing="desk")
    async with open_services(settings) as services:
        app = create_reporter_app(settings, services, clock=lambda: clock[0])
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = "http://{}:{}".format(*runner.addresses[0][:2])
        try:
            async with _browser() as browser:
                reporter = Reporter(browser, base)
                await reporter.open_thread(await reporter.submit_ok())
            assert len(app[SESSIONS]) == 1
            clock[0] += settings.sessions.reporter_idle_seconds + 1
            for _ in range(500):  # the sweeper runs every 10 ms; nothing touches the session
                if len(app[SESSIONS]) == 0:
                    break
                await asyncio.sleep(0.01)
            assert len(app[SESSIONS]) == 0
        finally:
            await runner.cleanup()


def _content() -> ReportContent:
    return ReportContent(force="kent-police", conduct="corruption", what_happened="cash to drop a case")
