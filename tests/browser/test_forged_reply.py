"""A reply planted by writing the database directly is flagged on the reporter's own page, in a
real Chromium with JavaScript off, accessibly (axe, WCAG 2.2 AA), while the unit's real reply
is shown plainly."""

from __future__ import annotations

import pytest

from dropbox_server.clock import today
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submission import submit_report
from tests.browser.axe import audit, capture
from tests.browser.conftest import Browsers
from tests.browser.test_reporter_accessibility import CHECK_FORM, assert_javascript_is_off
from tests.conftest import Sites
from tests.i18n.helpers import reply_from_unit
from tests.reports.forgery import forge_reply

pytestmark = pytest.mark.browser

PLANTED = "Your case is closed. To keep your identity safe, phone this number now."


async def test_the_reporters_page_warns_about_a_planted_reply(sites: Sites, browsers: Browsers) -> None:
    services = sites.services
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="cash for a file")
    receipt = await submit_report(services.db, services.receipts, content, None, "online", today())
    access = await open_with_receipt(services.db, services.receipts, receipt)
    assert access is not None
    await reply_from_unit(sites, receipt, "We have read your report.")
    forge_reply(sites.settings.database_path, access.report_id, PLANTED, today())

    page = await browsers.without_javascript.new_page()
    await assert_javascript_is_off(page)
    await page.goto(sites.reporter_url + "/check")
    await page.fill("#receipt", receipt)
    async with page.expect_navigation() as navigation:
        await page.click(f"{CHECK_FORM} button[type=submit]")
    thread = await capture("thread-with-planted-reply", await navigation.value)
    assert thread.status == 200 and "/thread" in page.url

    replies = page.locator("ol.thread li.reply")
    assert await replies.count() == 2
    genuine, planted = replies.nth(0), replies.nth(1)
    assert "We have read your report." in await genuine.inner_text()
    assert await genuine.locator(".authenticity-warning").count() == 0
    assert await planted.locator(".authenticity-warning").count() == 1
    warning = await planted.locator(".authenticity-warning").inner_text()
    assert "could not be confirmed as coming from the unit" in warning
    heading = await planted.locator("h3").inner_text()
    assert heading.startswith("Message that may not be from the unit")
    assert PLANTED in await planted.inner_text()

    found = await audit(await browsers.auditor.new_page(), [thread])
    assert not found.violations, "\n".join(map(str, found.violations))
    assert not found.overflow, f"wider than 320 CSS pixels: {found.overflow}"
