"""The desk's pages and a force's package page in a real browser with JavaScript off, in
English and Welsh: zero axe-core WCAG 2.2 AA violations and reflow at 320 CSS pixels. An
analyst drafts and submits, a supervisor approves, Kent opens the package and asks the desk."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from dropbox_server.clock import today
from dropbox_server.i18n import LANGUAGES
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submission import submit_report
from tests.browser.conftest import Browsers
from tests.browser.staff_pages import StaffPages, assert_accessible, sign_in
from tests.browser.test_investigator_accessibility import a_report
from tests.conftest import Sites, enrol_member

pytestmark = pytest.mark.browser


async def signed_in_page(
    sites: Sites, browsers: Browsers, username: str, unit: str, role: str, lang: str
) -> Page:
    password = f"pw-{username}-long-enough"
    # A unit's second key holder is approved by a member, as on the staff site.
    enrolment = await enrol_member(sites.services.db, username=username, unit_id=unit, role=role, password=password)
    SECRETS[username] = (password, enrolment.totp_secret)
    return await sign_in_afresh(sites, browsers, username, lang)


SECRETS: dict[str, tuple[str, str]] = {}


async def sign_in_afresh(sites: Sites, browsers: Browsers, username: str, lang: str) -> Page:
    """Sign in afresh (the browser context holds one session at a time)."""
    password, secret = SECRETS[username]
    page = await browsers.without_javascript.new_page()
    await page.context.clear_cookies()
    await sign_in(page, sites.investigator_url, username, password, secret, lang)
    return page


async def naming(sites: Sites, collar: str) -> str:
    """A report naming a collar number, stored as the reporter site would."""
    content = ReportContent(
        force="kent-police", conduct="corruption", collar_number=collar, what_happened="Paid."
    )
    receipt = await submit_report(
        sites.services.db, sites.services.receipts, content, None, "online", today()
    )
    access = await open_with_receipt(sites.services.db, sites.services.receipts, receipt)
    assert access is not None
    return access.report_id


@pytest.mark.parametrize("routing", ["desk"])
@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_desk_pages_pass_axe_and_reflow(sites: Sites, browsers: Browsers, lang: str) -> None:
    source = await a_report(sites)
    base = sites.investigator_url
    shots = StaffPages(base, lang)
    pages = shots.pages
    visit, press = shots.visit, shots.press

    ann = await signed_in_page(sites, browsers, f"ann-{lang}", "desk", "desk_analyst", lang)
    await visit(ann, "desk-inbox", "/inbox")
    await visit(ann, "desk-inbox-filtered", "/inbox?named=kent-police&state=new&quiet=7")
    await visit(ann, "desk-report", f"/reports/{source}")
    first, second = await naming(sites, "KT 4417"), await naming(sites, "kt4417")
    await visit(ann, "desk-report-first-naming", f"/reports/{first}")
    await visit(ann, "desk-report-repeat-subject", f"/reports/{second}")
    assert b'id="repeat-subjects"' in pages[-1].body
    await visit(ann, "desk-inbox-search", "/inbox?collar=KT+4417&collar_force=kent-police")
    await visit(ann, "desk-inbox-search-refused", "/inbox?name=--", 400)
    await visit(ann, "package-form", f"/desk/reports/{source}/packages/new?to_unit=kent-police")
    await press(
        ann, "package-form-errors", f"form[action^='/desk/reports/{source}/packages'] button[type=submit]"
    )
    assert pages[-1].status == 400
    await ann.fill("#p-summary", "A constable is said to have taken payment.")
    await ann.select_option("#p-conduct", "corruption")
    for radio in ("#p-source_evaluation-2", "#p-assessment-C", "#p-handling-P"):
        await ann.check(radio)
    await press(ann, "draft-saved", f"form[action^='/desk/reports/{source}/packages'] button[type=submit]")
    assert "done=saved" in pages[-1].url
    draft_path = pages[-1].url.split(base)[1].split("?")[0]
    await press(ann, "draft-submitted", f"form[action^='{draft_path}/submit'] button[type=submit]")
    await visit(ann, "approvals", "/desk/approvals")

    sue = await signed_in_page(sites, browsers, f"sue-{lang}", "desk", "desk_supervisor", lang)
    await visit(sue, "draft-for-approval", draft_path)
    await press(sue, "approve-without-checklist", f"form[action^='{draft_path}/approve'] button[type=submit]")
    assert pages[-1].status == 400
    for name in ("dates", "places", "relationships", "phrasing"):
        await sue.check(f"#check-{name}")
    await press(sue, "approved", f"form[action^='{draft_path}/approve'] button[type=submit]")
    assert "done=approve" in pages[-1].url

    kim = await signed_in_page(sites, browsers, f"kim-{lang}", "kent-police", "investigator", lang)
    await visit(kim, "force-inbox", "/inbox")
    package = next(p for p in pages[-1].body.decode().split('data-report="')[1:]).split('"')[0]
    await visit(kim, "package", f"/reports/{package}")
    await kim.fill("#ask-desk-text", "Which month was it?")
    await press(kim, "asked-desk", f"form[action^='/reports/{package}/ask-desk'] button[type=submit]")
    assert "done=ask_desk" in pages[-1].url
    # The desk signs in again (one session per browser context) to see the request.
    ann = await sign_in_afresh(sites, browsers, f"ann-{lang}", lang)
    await visit(ann, "desk-report-with-request", f"/reports/{source}")

    await assert_accessible(browsers.auditor, pages, f"desk-{lang}")
