"""The desk's draft -> approve flow in a real browser on the staff onion: Chromium with
JavaScript off, through a tor client holding the investigator onion's client authorisation.

An analyst signs in (password and authenticator code), opens the report from the desk's inbox,
drafts a package for Kent and submits it; a desk supervisor approves it with the checklist;
a Kent investigator sees the package, and none of the reporter's words. Screenshots go to
``artifacts/screenshots/onion-desk/``.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from dropbox_server.clock import today
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from onion_config import PrivateTorNetwork, TorClient, add_client, read_state
from onion_config.onion_keys import OnionFiles
from tests.conftest import Sites, enrol_member
from tests.onion.conftest import PUBLISH_TIMEOUT, nacl_keypair
from tests.onion.socks import get_through_tor
from tests.onion.test_browser_onion import CHROMIUM, chromium_args
from tests.onion.test_reporter_journey_over_tor import OnionSites, onion_sites  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.tor]

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "onion-desk"
MARKER = "Qxdeskonion"
SUMMARY = "A constable is said to have sold the names of informants."
_DRAFT_URL = re.compile(r"/desk/packages/(\d+)\?done=saved")


@pytest.fixture
def routing() -> str:
    return "desk"


@pytest.fixture
async def staff_client(onion_sites: OnionSites, tor_network: PrivateTorNetwork) -> AsyncIterator[TorClient]:  # noqa: F811
    """A tor client with its own client authorisation for the staff onion, once serve has
    republished the onion with it (serve applies a new client without a restart)."""
    data_dir = onion_sites.sites.settings.data_dir
    files = OnionFiles.for_data_dir(data_dir)
    credential = await asyncio.to_thread(add_client, files.clients_dir, "deskstaff", nacl_keypair)
    deadline = time.monotonic() + PUBLISH_TIMEOUT
    while (state := read_state(files.state_file)) is None or not (
        state.investigator_clients == 2 and state.investigator_published
    ):
        assert time.monotonic() < deadline, state
        await asyncio.sleep(0.2)
    line = credential.auth_private_line(onion_sites.addresses.investigator)
    client = await asyncio.to_thread(tor_network.start_client, "desk-staff", [line])
    try:
        yield client
    finally:
        await asyncio.to_thread(client.stop)


@pytest.fixture
async def chromium(staff_client: TorClient) -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_tor.sh")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=chromium_args(staff_client.socks_port)
        )
        try:
            yield browser
        finally:
            await browser.close()


async def _enrol(sites: Sites, username: str, unit: str, role: str) -> tuple[str, str]:
    password = f"pw-{username}-long-enough"
    enrolment = await enrol_member(
        sites.services.db, username=username, unit_id=unit, role=role, password=password
    )
    return password, enrolment.totp_secret


async def _no_javascript(browser: Browser) -> BrowserContext:
    """A fresh context (its own cookies) in which no script runs."""
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.set_content("<title>before</title><script>document.title = 'ran'</script>")
    assert await page.title() == "before", "JavaScript is not disabled in this browser"
    await page.close()
    return context


async def _signed_in(browser: Browser, base: str, username: str, password: str, secret: str) -> Page:
    page = await (await _no_javascript(browser)).new_page()
    response = await page.goto(base + "/sign-in", timeout=60_000)
    assert response is not None and response.status == 200
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.fill("#code", pyotp.TOTP(secret).now())
    await page.click("form[action^='/sign-in'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/inbox"))
    assert not await page.locator("script").count()
    return page


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_desk_draft_approve_in_chromium_without_javascript_over_tor(
    onion_sites: OnionSites,  # noqa: F811
    staff_client: TorClient,
    chromium: Browser,
) -> None:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    sites = onion_sites.sites
    base = f"http://{onion_sites.addresses.investigator}"
    status, _ = await get_through_tor(staff_client.socks_port, base + "/sign-in")
    assert status == 200  # the staff onion answers this client before we browse

    content = ReportContent(
        force="kent-police", conduct="corruption", what_happened=f"{MARKER} my neighbour, PC Smith."
    )
    await submit_report(sites.services.db, sites.services.receipts, content, None, "online", today())
    analyst = await _enrol(sites, "ann", "desk", "desk_analyst")
    supervisor = await _enrol(sites, "sue", "desk", "desk_supervisor")
    kent = await _enrol(sites, "kim", "kent-police", "investigator")

    # The analyst: inbox -> the report (the reporter's words, at the desk) -> draft for Kent.
    page = await _signed_in(chromium, base, "ann", *analyst)
    await page.click("a[href^='/reports/']")
    assert MARKER in await page.content()
    await shot(page, "01-desk-report")
    await page.click("form[action*='/packages/new'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/packages/new\?to_unit=kent-police"))
    await page.select_option("#p-conduct", "corruption")
    await page.fill("#p-subject_role", "a constable")
    await page.fill("#p-summary", SUMMARY)
    await page.check("#p-source_evaluation-2")
    await page.check("#p-assessment-C")
    await page.check("#p-handling-P")
    await shot(page, "02-package-form")
    await page.click("form[action*='/packages'] button[type=submit]")
    await page.wait_for_url(_DRAFT_URL)
    match = _DRAFT_URL.search(page.url)
    assert match is not None
    draft_path = f"/desk/packages/{match.group(1)}"
    await page.click("form[action$='/submit'] button[type=submit]")
    await page.wait_for_url(re.compile(r"done=submit"))
    assert await page.get_attribute("#draft-state", "data-state") == "submitted"
    assert not await page.locator("form[action$='/approve']").count()  # the author cannot approve
    await shot(page, "03-submitted")

    # The supervisor: the draft beside the report, the checklist, approve.
    page = await _signed_in(chromium, base, "sue", *supervisor)
    await page.goto(base + draft_path)
    for name in ("dates", "places", "relationships", "phrasing"):
        await page.check(f"#check-{name}")
    await shot(page, "04-approve")
    await page.click("form[action$='/approve'] button[type=submit]")
    await page.wait_for_url(re.compile(r"done=approve"))
    assert await page.get_attribute("#draft-state", "data-state") == "approved"
    await shot(page, "05-approved")

    # Kent: the package in its inbox, the analyst's words only.
    page = await _signed_in(chromium, base, "kim", *kent)
    inbox = await page.content()
    assert MARKER not in inbox
    await page.click("a[href^='/reports/']")
    package = await page.content()
    assert SUMMARY in package and "Intelligence package" in package
    assert MARKER not in package and "PC Smith" not in package
    await shot(page, "06-kent-package")
