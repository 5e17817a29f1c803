"""Enrolling with a code and approving a new key holder, in a real browser with JavaScript off,
in English and Welsh: zero axe-core WCAG 2.2 AA violations and reflow at 320 CSS pixels."""

from __future__ import annotations

import functools
import time

import pyotp
import pytest

from dropbox_server.clock import today
from dropbox_server.custody import enrolment
from dropbox_server.i18n import LANGUAGES
from tests.browser.conftest import Browsers
from tests.browser.staff_pages import SIGN_IN_BUTTON, StaffPages, assert_accessible
from tests.browser.test_investigator_accessibility import enrol
from tests.conftest import Sites

pytestmark = pytest.mark.browser
NEW_PASSWORD = "quarry-lichen-tambourine-osprey-velcro"


@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_enrolment_and_approval_pages_pass_axe_and_reflow(sites: Sites, browsers: Browsers, lang: str) -> None:
    member = f"member-{lang}"
    password, secret = await enrol(sites, member)
    newcomer = f"new-{lang}"
    invited = await enrolment.invite(
        sites.services.db, username=newcomer, unit_id="kent-police", role="investigator",
        requested_by="officer", day=today(),
    )
    page = await browsers.without_javascript.new_page()
    shots = StaffPages(sites.investigator_url, lang)
    pages = shots.pages
    visit = functools.partial(shots.visit, page)
    press = functools.partial(shots.press, page)

    await visit("enrol", "/enrol")
    await page.fill("#code", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    await press("enrol-bad-code", "main form button[type=submit]", 400)
    await page.fill("#code", invited.code)
    await press("enrol-account", "main form button[type=submit]", 200)
    totp_secret = (await page.locator("code.secret").inner_text()).strip()
    await page.fill("#password", "Password1!")
    await page.fill("#password_again", "Password1!")
    await page.fill("#code", pyotp.TOTP(totp_secret).now())
    await press("enrol-weak-password", "main form button[type=submit]", 400)
    await page.fill("#password", NEW_PASSWORD)
    await page.fill("#password_again", NEW_PASSWORD)
    await page.fill("#code", pyotp.TOTP(totp_secret).now())
    await press("enrol-done", "main form button[type=submit]", 200)
    fingerprint = (await page.locator("code.fingerprint").inner_text()).strip()
    assert len(fingerprint.replace(" ", "")) == 16

    await visit("sign-in", "/sign-in")
    await page.fill("#username", member)
    await page.fill("#password", password)
    # Enrolment spent the previous step's code, sign-in spends this one, the approval the next.
    await page.fill("#code", pyotp.TOTP(secret).now())
    await press("inbox", SIGN_IN_BUTTON, 200)
    await visit("key-holders-waiting", "/key-holders")
    assert fingerprint not in pages[-1].body.decode(), "the approver must hear the fingerprint"
    await page.fill("#fingerprint-1", "0000 0000 0000 0000")
    await page.fill("#password-1", password)
    await page.fill("#code-1", pyotp.TOTP(secret).at(time.time() + 30))
    await press("key-holders-wrong-fingerprint", "form[action^='/key-holders/approve'] button[type=submit]", 400)

    await assert_accessible(browsers.auditor, pages, f"enrolment-{lang}")
