"""Enrolling with a code and approving a new key holder, in a real browser with JavaScript off,
in English and Welsh: zero axe-core WCAG 2.2 AA violations and reflow at 320 CSS pixels."""

from __future__ import annotations

import json
import time

import pyotp
import pytest

from dropbox_server.clock import today
from dropbox_server.custody import enrolment
from dropbox_server.i18n import DEFAULT_LANGUAGE, LANGUAGES
from tests.browser.axe import Captured, audit, capture
from tests.browser.conftest import Browsers
from tests.browser.test_investigator_accessibility import enrol
from tests.browser.test_reporter_accessibility import AUDITS
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
    suffix = "" if lang == DEFAULT_LANGUAGE else f"lang={lang}"
    base = sites.investigator_url
    pages: list[Captured] = []

    async def visit(name: str, path: str) -> None:
        sep = "&" if "?" in path else "?"
        response = await page.goto(base + path + (sep + suffix if suffix else ""))
        pages.append(await capture(name, response))
        assert pages[-1].status == 200, (name, pages[-1].status)

    async def press(name: str, selector: str, status: int) -> None:
        async with page.expect_navigation() as navigation:
            await page.click(selector)
        pages.append(await capture(name, await navigation.value))
        assert pages[-1].status == status, (name, pages[-1].status)

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
    await press("inbox", "form[action^='/sign-in'] button[type=submit]", 200)
    await visit("key-holders-waiting", "/key-holders")
    assert fingerprint not in pages[-1].body.decode(), "the approver must hear the fingerprint"
    await page.fill("#fingerprint-1", "0000 0000 0000 0000")
    await page.fill("#password-1", password)
    await page.fill("#code-1", pyotp.TOTP(secret).at(time.time() + 30))
    await press("key-holders-wrong-fingerprint", "form[action^='/key-holders/approve'] button[type=submit]", 400)

    found = await audit(await browsers.auditor.new_page(), pages)
    AUDITS.mkdir(parents=True, exist_ok=True)
    (AUDITS / f"enrolment-{lang}.json").write_text(json.dumps(found.by_page(pages), indent=1))
    assert not found.violations, "\n".join(map(str, found.violations))
    assert not found.overflow, f"wider than 320 CSS pixels: {found.overflow}"
