"""The investigator site's main pages in a real browser, in English and Welsh: zero axe-core
WCAG 2.2 AA violations and reflow at 320 CSS pixels. An investigator signs in with their
password and a TOTP code, as on the investigator onion."""

from __future__ import annotations

import functools

import pyotp
import pytest

from dropbox_server.clock import today
from dropbox_server.i18n import DEFAULT_LANGUAGE, LANGUAGES
from dropbox_server.reports.content import ContactDetails, ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submission import submit_report
from tests.browser.axe import Captured, capture, overflows_at
from tests.browser.conftest import Browsers
from tests.browser.staff_pages import (
    SIGN_IN_BUTTON,
    StaffPages,
    assert_accessible,
    in_language,
    sign_in,
)
from tests.conftest import Sites, enrol_member

pytestmark = pytest.mark.browser


async def a_report(sites: Sites) -> str:
    """A report for Kent Police's unit with contact details, as the reporter site would store it."""
    db = sites.services.db
    content = ReportContent(
        force="kent-police", conduct="sexual-purpose", what_happened="He kept calling after the case closed."
    )
    contact = ContactDetails(how="A phone number only I see", when_safe="Weekday evenings", scope="unit")
    receipt = await submit_report(db, sites.services.receipts, content, contact, "online", today())
    access = await open_with_receipt(db, sites.services.receipts, receipt)
    assert access is not None
    return access.report_id


async def enrol(sites: Sites, username: str, role: str = "investigator") -> tuple[str, str]:
    password = f"pw-{username}-long-enough"
    enrolment = await enrol_member(
        sites.services.db, username=username, unit_id="kent-police", role=role, password=password
    )
    return password, enrolment.totp_secret


@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_investigator_pages_pass_axe_and_reflow(sites: Sites, browsers: Browsers, lang: str) -> None:
    report_id = await a_report(sites)
    username = f"inv-{lang}"
    password, secret = await enrol(sites, username)
    page = await browsers.without_javascript.new_page()
    shots = StaffPages(sites.investigator_url, lang)
    pages = shots.pages
    visit = functools.partial(shots.visit, page)
    press = functools.partial(shots.press, page)

    await visit("sign-in", "/sign-in")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.fill("#code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    await press("sign-in-refused", SIGN_IN_BUTTON)
    assert pages[-1].status == 401
    await page.fill("#password", password)
    await page.fill("#code", pyotp.TOTP(secret).now())
    await press("inbox-after-sign-in", SIGN_IN_BUTTON)
    # Signing in in Welsh keeps Welsh: the redirect carries the language.
    assert pages[-1].url.endswith(in_language("/inbox", lang)), pages[-1].url
    assert report_id in pages[-1].body.decode()

    await visit("inbox", "/inbox")
    await visit("report", f"/reports/{report_id}")
    await page.fill("#reply-text", "Thank you. Is there a good time to call?")
    await press("report-after-reply", f"form[action^='/reports/{report_id}/reply'] button[type=submit]")
    await press("report-empty-note", f"form[action^='/reports/{report_id}/note'] button[type=submit]")
    assert pages[-1].status == 400
    await visit("report-with-reply", f"/reports/{report_id}")
    await visit("report-files", f"/reports/{report_id}/files")
    await visit("passed-on", "/passed-on")
    await visit("authenticator", "/account/authenticator")
    await visit("key-holders", "/key-holders")
    await visit("password", "/account/password")
    # A refusal names the viewer's role (issue 19): an investigator on the supervisors' page.
    await visit("refused-statistics", "/statistics", 403)
    assert await page.locator("#your-role").count() == 1

    # Passing on: nothing is chosen at first, and a confirmation page comes before anything moves.
    await visit("report-before-pass-on", f"/reports/{report_id}")
    assert await page.input_value("#to-unit") == ""
    await page.select_option("#to-unit", "essex-police")
    await page.fill("#transfer-reason", "The events happened in Essex.")
    await press("transfer-confirm", f"form[action^='/reports/{report_id}/transfer'] button[type=submit]")
    assert pages[-1].status == 200 and await page.locator("#what-travels li").count() >= 4
    await press(
        "passed-on-after-confirm", f"main form[action^='/reports/{report_id}/transfer'] button[type=submit]"
    )
    assert "/passed-on" in pages[-1].url

    await assert_accessible(browsers.auditor, pages, f"investigator-{lang}")


@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_intake_and_statistics_pages_pass_axe_and_reflow(
    sites: Sites, browsers: Browsers, lang: str
) -> None:
    """The call handler's intake form and receipt page; the supervisor's statistics, assignment and inbox."""
    report_id = await a_report(sites)
    suffix = in_language("", lang)
    pages: list[Captured] = []
    for username, role, paths in (
        ("handler", "call_handler", ["/intake", "/intake/caller"]),
        ("supervisor", "supervisor", ["/statistics"]),
    ):
        password, secret = await enrol(sites, username, role)
        page = await browsers.without_javascript.new_page()
        await page.context.clear_cookies()  # each account signs in afresh
        await sign_in(page, sites.investigator_url, username, password, secret, lang)
        for path in paths:
            response = await page.goto(sites.investigator_url + path + suffix)
            pages.append(await capture(f"{username}{path}", response))
            assert pages[-1].status == 200, (path, pages[-1].status)
        if role == "call_handler":
            form = "main form[action^='/intake'] button[type=submit]"
            await page.goto(sites.investigator_url + "/intake" + suffix)
            async with page.expect_navigation() as navigation:
                await page.click(form)
            pages.append(await capture("intake-errors", await navigation.value))
            assert pages[-1].status == 400
        if role == "supervisor":
            response = await page.goto(f"{sites.investigator_url}/reports/{report_id}{suffix}")
            pages.append(await capture("supervisor-report", response))
            await page.select_option("#assignee", index=1)
            async with page.expect_navigation() as navigation:
                await page.click(f"form[action^='/reports/{report_id}/assign'] button[type=submit]")
            pages.append(await capture("report-assigned", await navigation.value))
            assert "done=assign" in pages[-1].url
            response = await page.goto(sites.investigator_url + "/inbox" + suffix)
            pages.append(await capture("supervisor-inbox", response))
            assert "mine-tag" in pages[-1].body.decode()
    await assert_accessible(browsers.auditor, pages, f"investigator-extra-{lang}")


async def test_report_headings_reflow_whatever_the_report_id(sites: Sites, browsers: Browsers) -> None:
    """A report id is 16 random base32 letters; one made of wide letters ('mmmm…') once made
    the Welsh report page 5 px wider than 320 CSS pixels, so the random ids made the reflow
    check flaky. The widest id the routes allow must still fit."""
    report_id = await a_report(sites)
    password, secret = await enrol(sites, "inv-wide")
    page = await browsers.auditor.new_page()  # JavaScript on: it rewrites the heading below
    await sign_in(page, sites.investigator_url, "inv-wide", password, secret, "cy")
    for path in (f"/reports/{report_id}", f"/reports/{report_id}/files"):
        response = await page.goto(f"{sites.investigator_url}{path}?lang=cy")
        assert response is not None and response.status == 200, path
        await page.evaluate(
            "id => { const h = document.querySelector('h1'); h.textContent = h.textContent.replace(/[a-z0-9]{16}/, id); }",
            "m" * 32,
        )
        assert "m" * 32 in await page.inner_text("h1"), path
        assert await overflows_at(page, 320) == 0, path


async def test_statistics_and_inbox_tables_fit_their_column(sites: Sites, browsers: Browsers) -> None:
    """At 1280 and 320 CSS pixels each wide table stays inside the main column: it wraps, or
    scrolls inside a focusable region named by its visible caption (issue 19)."""
    await a_report(sites)
    password, secret = await enrol(sites, "sup-tables", "supervisor")
    page = await browsers.auditor.new_page()  # JavaScript on, only to measure the layout
    await sign_in(page, sites.investigator_url, "sup-tables", password, secret, DEFAULT_LANGUAGE)
    measure = """() => {
        const main = document.querySelector('main').getBoundingClientRect();
        const region = document.querySelector('.table-scroll');
        const box = region.getBoundingClientRect();
        const caption = document.getElementById(region.getAttribute('aria-labelledby'));
        return {overhang: box.right - main.right, tabindex: region.getAttribute('tabindex'),
                role: region.getAttribute('role'), captionShown: caption.getBoundingClientRect().height > 1,
                pageOverflow: document.documentElement.scrollWidth - window.innerWidth};
    }"""
    for path in ("/statistics", "/inbox", "/statistics?lang=cy", "/inbox?lang=cy"):
        for width in (1280, 320):
            await page.set_viewport_size({"width": width, "height": 900})
            response = await page.goto(sites.investigator_url + path)
            assert response is not None and response.status == 200, path
            found = await page.evaluate(measure)
            assert found["overhang"] <= 0.5, (path, width, found)
            assert found["pageOverflow"] <= 0, (path, width, found)
            assert (found["tabindex"], found["role"], found["captionShown"]) == ("0", "region", True), found
