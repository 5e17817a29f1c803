"""The service-health page in a real browser with JavaScript off, in English and Welsh: security
staff sign in and land on it; it and the refusal another role gets have zero axe-core WCAG 2.2
AA violations and reflow at 320 CSS pixels."""

from __future__ import annotations

import json

import pyotp
import pytest

from dropbox_server.i18n import DEFAULT_LANGUAGE, LANGUAGES
from tests.browser.axe import Captured, audit, capture
from tests.browser.conftest import Browsers
from tests.browser.test_investigator_accessibility import AUDITS, enrol
from tests.conftest import Sites

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_health_page_passes_axe_and_reflow(sites: Sites, browsers: Browsers, lang: str) -> None:
    suffix = "" if lang == DEFAULT_LANGUAGE else f"?lang={lang}"
    pages: list[Captured] = []
    for username, role in (("sec", "security"), ("inv", "investigator")):
        password, secret = await enrol(sites, f"{username}-{lang}", role)
        page = await browsers.without_javascript.new_page()
        await page.context.clear_cookies()
        await page.goto(sites.investigator_url + "/sign-in" + suffix)
        await page.fill("#username", f"{username}-{lang}")
        await page.fill("#password", password)
        await page.fill("#code", pyotp.TOTP(secret).now())
        async with page.expect_navigation() as navigation:
            await page.click("form[action^='/sign-in'] button[type=submit]")
        landed = await capture(f"{role}-landing", await navigation.value)
        if role == "security":  # security staff start on the health page, in their language
            assert landed.url.endswith("/health" + suffix), landed.url
            assert landed.status == 200
            pages.append(landed)
            body = landed.body.decode()
            assert ("Needs attention" if lang == "en" else "Angen sylw") in body  # serve is not running
            assert ("OK" if lang == "en" else "Iawn") in body  # the database is sound
            assert ("Service health" if lang == "en" else "Iechyd y gwasanaeth") in body
        else:
            response = await page.goto(sites.investigator_url + "/health" + suffix)
            pages.append(await capture("health-refused", response))
            assert pages[-1].status == 403
    found = await audit(await browsers.auditor.new_page(), pages)
    AUDITS.mkdir(parents=True, exist_ok=True)
    (AUDITS / f"health-{lang}.json").write_text(json.dumps(found.by_page(pages), indent=1))
    assert not found.violations, "\n".join(map(str, found.violations))
    assert not found.overflow, f"wider than 320 CSS pixels: {found.overflow}"
