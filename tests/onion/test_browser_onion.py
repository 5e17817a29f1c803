"""A real browser on the reporter onion: Debian's Chromium, JavaScript off, through tor's SOCKS.

Drives the whole reporter journey the way a reporter on Tor Browser's
"Safest" level would, and saves a screenshot of each step to
``artifacts/screenshots/onion/``.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, async_playwright

from onion_config import TorClient
from tests.onion.socks import get_through_tor
from tests.onion.test_reporter_journey_over_tor import OnionSites, onion_sites  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.tor]

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "onion"
_RECEIPT = re.compile(r'<p class="receipt-line" lang="en">.*?</span>([a-z ]+)</p>', re.S)


def chromium_args(socks_port: int) -> list[str]:
    return [
        f"--proxy-server=socks5://127.0.0.1:{socks_port}",
        # No name ever resolved outside tor; 127.0.0.1 stays reachable for nothing but tor.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ]


@pytest.fixture
async def browser(tor_client: TorClient, tmp_path: Path) -> AsyncIterator[BrowserContext]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_tor.sh")
    profile = tmp_path / "chromium-profile"
    (profile / "Default").mkdir(parents=True)
    # JavaScript off the way a user turns it off (blink-settings renders nothing).
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"default_content_setting_values": {"javascript": 2}}})
    )
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True,
            args=chromium_args(tor_client.socks_port), java_script_enabled=False,
        )
        try:
            yield context
        finally:
            await context.close()


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def test_reporter_journey_in_chromium_without_javascript(
    onion_sites: OnionSites, tor_client: TorClient, browser: BrowserContext  # noqa: F811
) -> None:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    base = onion_sites.addresses.reporter_url
    await get_through_tor(tor_client.socks_port, base)  # the onion is reachable before we browse

    page = await browser.new_page()
    await page.set_content("<title>before</title><script>document.title = 'ran'</script>")
    assert await page.title() == "before", "JavaScript is not disabled in this browser"

    response = await page.goto(base, timeout=60_000)
    assert response is not None and response.status == 200
    assert not await page.locator("script").count()
    await shot(page, "01-landing")

    await page.click("a[href^='/report']")
    await page.wait_for_url(re.compile(r"/report"))
    await page.select_option("#force", "kent-police")
    await page.check("#conduct-corruption")
    await page.fill("#what_happened", "An officer sold names of informants. Sent from Chromium.")
    await shot(page, "02-report-form")
    await page.click("button[type=submit]")
    html = await page.content()
    match = _RECEIPT.search(html)
    assert match, "no receipt shown after submitting"
    receipt = unescape(match.group(1)).strip()
    assert len(receipt.split()) >= 7
    await shot(page, "03-receipt")

    await page.click("a[href^='/check']")
    await page.fill("#receipt", receipt)
    await shot(page, "04-check")
    await page.click("form[action^='/check'] button[type=submit]")
    await page.wait_for_url(re.compile(r"/thread"))
    assert "waiting to be read" in await page.content()
    await shot(page, "05-thread")

    await page.fill("#message", "One more detail: it happened twice.")
    await page.click("form[action^='/thread/message'] button[type=submit]")
    assert "Your message has been sent to the unit." in await page.content()
    await shot(page, "06-follow-up")

    assert sorted(p.name for p in SHOTS.iterdir()) == [
        "01-landing.png", "02-report-form.png", "03-receipt.png",
        "04-check.png", "05-thread.png", "06-follow-up.png",
    ]
