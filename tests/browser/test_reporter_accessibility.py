"""The reporter site in a real browser, in English and Welsh: every page and error state passes
axe-core's WCAG 2.2 AA rules with zero violations, reflows at 320 CSS pixels (as at 400% zoom
of a 1280-pixel window, and so at 200%), shows where the keyboard focus is, and works with
JavaScript off. Screenshots of the journey are written to artifacts/screenshots/journey/.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from playwright.async_api import Page

from dropbox_server.i18n import LANGUAGES
from tests.browser.axe import audit
from tests.browser.conftest import Browsers
from tests.browser.journey import ROOT, SHOTS, Journey
from tests.conftest import Sites
from tests.i18n.helpers import reply_from_unit

pytestmark = pytest.mark.browser

_RECEIPT = re.compile(r'<p class="receipt-line" lang="en">.*?</span>([a-z ]+)</p>', re.S)
UNKNOWN_RECEIPT = "abacus abdomen abdominal abide abiding ability ablaze"
REPORT_FORM = "form[action^='/report']"
CHECK_FORM = "form[action^='/check']"
MESSAGE_FORM = "form[action^='/thread/message']"
AUDITS = ROOT / "artifacts" / "a11y"


async def assert_javascript_is_off(page: Page) -> None:
    await page.set_content("<title>before</title><script>document.title = 'ran'</script>")
    assert await page.title() == "before", "JavaScript is not disabled in this browser"


async def walk_the_journey(j: Journey, sites: Sites) -> None:
    """Every reporter page and error state, reached by links, buttons and typing only."""
    page = j.page
    await j.goto("landing", "/")
    await j.shoot("landing")
    shown = await j.follow("support", "main a[href^='/support']")
    assert shown.status == 200 and await page.locator("section[aria-labelledby^='topic-']").count() >= 5
    await j.shoot("support")
    await j.goto("landing-again", "/")
    await j.follow("report-form", "main a[href^='/report']")
    await j.shoot("report-form")

    shown = await j.follow("report-empty-form", f"{REPORT_FORM} button[type=submit]")
    assert shown.status == 400 and await page.locator(".error-summary a[href='#what_happened']").count()
    await j.shoot("report-errors")

    await page.select_option("#force", "south-wales-police")
    await page.check("#conduct-misuse-of-systems")
    await page.fill("#subject_name", "N" * 201)
    await page.fill("#what_happened", "An officer looked up my address and passed it on.")
    shown = await j.follow("report-too-long", f"{REPORT_FORM} button[type=submit]")
    assert shown.status == 400
    assert await page.input_value("#what_happened") == "An officer looked up my address and passed it on."
    assert await page.get_attribute("#subject_name", "aria-invalid") == "true"

    await page.fill("#subject_name", "")
    await page.locator(f"{REPORT_FORM} input[name=csrf_token]").evaluate(
        "input => { input.value = 'expired' }"
    )
    shown = await j.follow("report-bad-csrf", f"{REPORT_FORM} button[type=submit]")
    assert shown.status == 403 and await page.locator(".notice").count()
    assert await page.input_value("#force") == "south-wales-police"

    shown = await j.follow("receipt", f"{REPORT_FORM} button[type=submit]")
    assert shown.status == 200
    match = _RECEIPT.search(await page.content())
    assert match, "no receipt shown"
    receipt = unescape(match.group(1)).strip()
    await j.shoot("receipt")

    await j.follow("check-form", "main a[href^='/check']")
    await page.fill("#receipt", "abacus abdomen")
    shown = await j.follow("check-wrong-word-count", f"{CHECK_FORM} button[type=submit]")
    assert shown.status == 400 and await page.get_attribute("#receipt", "aria-invalid") == "true"
    await page.fill("#receipt", UNKNOWN_RECEIPT)
    shown = await j.follow("check-unknown-receipt", f"{CHECK_FORM} button[type=submit]")
    assert "result=unknown" in shown.url
    await j.shoot("check-unknown")

    await reply_from_unit(sites, receipt, "Thank you. Can you tell us roughly when this was?")
    await page.fill("#receipt", receipt.upper())
    await j.shoot("check-form")
    shown = await j.follow("thread-with-reply", f"{CHECK_FORM} button[type=submit]")
    assert "/thread" in shown.url and "Can you tell us roughly when" in await page.content()
    await j.shoot("thread")

    shown = await j.follow("thread-empty-message", f"{MESSAGE_FORM} button[type=submit]")
    assert shown.status == 400 and await page.get_attribute("#message", "aria-describedby") == "message-error"
    await page.fill("#message", "It was in the spring.")
    shown = await j.follow("thread-message-sent", f"{MESSAGE_FORM} button[type=submit]")
    assert "sent=1" in shown.url
    await j.shoot("message-sent")

    await page.context.clear_cookies()  # as if the session had expired while they typed
    await page.fill("#message", "Words that must not be lost.")
    shown = await j.follow("check-expired-kept-message", f"{MESSAGE_FORM} button[type=submit]")
    assert shown.status == 401 and await page.input_value("#kept_message") == "Words that must not be lost."
    await j.goto("check-expired", "/thread")
    await j.goto("not-found", "/no-such-page")

    await j.goto("check-again", "/check")
    await page.fill("#receipt", receipt)
    await j.follow("thread-again", f"{CHECK_FORM} button[type=submit]")
    await j.follow("withdraw-form", "main a[href^='/thread/withdraw']")
    shown = await j.follow(
        "withdraw-unconfirmed", "main form[action^='/thread/withdraw'] button[type=submit]"
    )
    assert shown.status == 400 and await page.get_attribute("#confirm", "aria-invalid") == "true"
    await page.check("#confirm")
    shown = await j.follow("withdrawn", "main form[action^='/thread/withdraw'] button[type=submit]")
    assert shown.status == 200 and "/withdrawn" in shown.url


@pytest.mark.parametrize("routing", ["desk"])  # the main journey runs as new services are made
@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_reporter_pages_pass_axe_and_reflow(sites: Sites, browsers: Browsers, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob(f"{lang}-*.png"):
        old.unlink()
    page = await browsers.without_javascript.new_page()
    await assert_javascript_is_off(page)
    journey = Journey(page, sites.reporter_url, lang)
    await walk_the_journey(journey, sites)
    assert all(f'<html lang="{lang}">' in p.body.decode() for p in journey.pages)

    found = await audit(await browsers.auditor.new_page(), journey.pages)
    AUDITS.mkdir(parents=True, exist_ok=True)
    (AUDITS / f"reporter-{lang}.json").write_text(json.dumps(found.by_page(journey.pages), indent=1))
    assert len(journey.pages) == 22 and len(journey.shots) == 18
    assert not found.violations, "\n".join(map(str, found.violations))
    assert not found.overflow, f"wider than 320 CSS pixels: {found.overflow}"


async def test_keyboard_focus_is_always_visible(sites: Sites, browsers: Browsers) -> None:
    """Tab through the landing page and the report form: every stop is drawn with a clear indicator."""
    page = await browsers.without_javascript.new_page()
    await page.goto(sites.reporter_url + "/")
    await page.keyboard.press("Tab")
    first = await page.evaluate("document.activeElement.className")
    assert first == "skip-link"
    box = await page.locator(".skip-link").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the skip link stays off screen when focused"
    for path in ("/", "/report?lang=cy"):
        await page.goto(sites.reporter_url + path)
        seen = 0
        for _ in range(120):
            await page.keyboard.press("Tab")
            style = await page.evaluate(
                "() => { const e = document.activeElement; if (e === document.body) return null;"
                " const s = getComputedStyle(e); return {tag: e.tagName, id: e.id,"
                " outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,"
                " shadow: s.boxShadow !== 'none'}; }"
            )
            if style is None:
                break
            seen += 1
            assert style["outline"] or style["shadow"], f"{path}: no visible focus on {style}"
        assert seen >= (5 if path == "/" else 15), f"{path}: only {seen} focus stops"
