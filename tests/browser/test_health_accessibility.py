"""The service-health page in a real browser with JavaScript off, in English and Welsh: security
staff sign in and land on it; it and the refusal another role gets have zero axe-core WCAG 2.2
AA violations and reflow at 320 CSS pixels."""

from __future__ import annotations

import pytest

from dropbox_server.i18n import DEFAULT_LANGUAGE, LANGUAGES
from tests.browser.axe import Captured, capture
from tests.browser.conftest import Browsers
from tests.browser.staff_pages import assert_accessible, sign_in
from tests.browser.test_investigator_accessibility import enrol
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
        response = await sign_in(page, sites.investigator_url, f"{username}-{lang}", password, secret, lang)
        landed = await capture(f"{role}-landing", response)
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
    await assert_accessible(browsers.auditor, pages, f"health-{lang}")
