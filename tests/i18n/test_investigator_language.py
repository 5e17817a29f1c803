"""The investigator site's main pages in Welsh: no English wording left (an investigator signs in
with password and TOTP code, as on the investigator onion)."""

from __future__ import annotations

import re

import aiohttp
import pyotp

from dropbox_server.forces import FORCES, HUB_NAME
from dropbox_server.i18n import LANGUAGES
from tests.browser.test_investigator_accessibility import a_report, enrol
from tests.conftest import Sites
from tests.i18n.helpers import page_text
from tests.journeys import csrf_from

# Proper names that are the same in every language: forces, units, language names.
SAME_IN_EVERY_LANGUAGE = (
    {f.name for f in FORCES} | {f.unit_name for f in FORCES} | {HUB_NAME} | set(LANGUAGES.values())
)


async def investigator_pages(
    sites: Sites, lang: str, report_id: str, role: str = "investigator"
) -> dict[str, str]:
    username = f"lang-{role}-{lang}"
    password, secret = await enrol(sites, username, role)
    base, query = sites.investigator_url, f"lang={lang}"
    pages: dict[str, str] = {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:

        async def get(path: str) -> str:
            sep = "&" if "?" in path else "?"
            async with http.get(f"{base}{path}{sep}{query}") as resp:
                assert resp.status == 200, (path, resp.status)
                return await resp.text()

        pages["sign-in"] = await get("/sign-in")
        form = {"username": username, "password": password, "code": pyotp.TOTP(secret).now()}
        form["csrf_token"] = csrf_from(pages["sign-in"])
        async with http.post(f"{base}/sign-in?{query}", data=form, allow_redirects=False) as resp:
            assert resp.status == 303, await resp.text()
        for name, path in [
            ("inbox", "/inbox"),
            ("report", f"/reports/{report_id}"),
            ("report-files", f"/reports/{report_id}/files"),
            ("passed-on", "/passed-on"),
            ("authenticator", "/account/authenticator"),
        ]:
            pages[name] = await get(path)
        if role == "supervisor":
            # The supervisor's own view: the assignment form, then the report assigned to them.
            me = re.search(r'<option value="([0-9]+)">[^<]*\(', pages["report"])
            assert me is not None
            seen = re.search(r'data-assignee="([0-9]*)"', pages["report"])
            assert seen is not None
            form = {"assignee": me.group(1), "seen_assignee": seen.group(1)}
            form["csrf_token"] = csrf_from(pages["report"])
            async with http.post(f"{base}/reports/{report_id}/assign?{query}", data=form) as resp:
                assert resp.status == 200, await resp.text()
                pages["report-assigned"] = await resp.text()
            pages["inbox-assigned-to-me"] = await get("/inbox?assigned=me")
    return pages


def assert_all_welsh(english: dict[str, str], welsh: dict[str, str], names: set[str]) -> None:
    """Every Welsh page is marked Welsh and shares no text with its English one but `names`."""
    for name, html in welsh.items():
        assert page_text(html).page_lang == "cy", name
        left = (page_text(html).segments & page_text(english[name]).segments) - SAME_IN_EVERY_LANGUAGE - names
        assert not left, f"{name}: not translated: {sorted(left)}"


async def test_investigator_pages_have_no_english_left(sites: Sites) -> None:
    report_id = await a_report(sites)
    english = await investigator_pages(sites, "en", report_id)
    welsh = await investigator_pages(sites, "cy", report_id)
    assert_all_welsh(english, welsh, {report_id})


async def test_supervisor_pages_have_no_english_left(sites: Sites) -> None:
    """The assignment form, a report assigned to the supervisor and their filtered inbox."""
    report_id = await a_report(sites)
    english = await investigator_pages(sites, "en", report_id, "supervisor")
    welsh = await investigator_pages(sites, "cy", report_id, "supervisor")
    assert_all_welsh(english, welsh, {report_id, "lang-supervisor-en", "lang-supervisor-cy"})
