"""A reader who chose Welsh keeps it across links, forms and redirects on both sites."""

from __future__ import annotations

import re

import aiohttp

from dropbox_server.i18n import with_language
from tests.conftest import Sites


def test_with_language() -> None:
    assert with_language("/inbox", "en") == "/inbox"
    assert with_language("/inbox", "cy") == "/inbox?lang=cy"
    assert with_language("/inbox?after=x", "cy") == "/inbox?after=x&lang=cy"
    assert with_language("/reports/a?done=reply#reply", "cy") == "/reports/a?done=reply&lang=cy#reply"
    assert with_language("/check?lang=cy", "cy") == "/check?lang=cy"
    assert with_language("/x", "xx") == "/x"


async def test_investigator_redirects_and_forms_keep_welsh(sites: Sites, http: aiohttp.ClientSession) -> None:
    async with http.get(sites.investigator_url + "/?lang=cy", allow_redirects=False) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/sign-in?lang=cy"
    async with http.get(sites.investigator_url + "/sign-in?lang=cy") as resp:
        page = await resp.text()
    actions = re.findall(r'action="([^"]+)"', page)
    assert actions and all("lang=cy" in a for a in actions)
    assert '<html lang="cy">' in page


async def test_reporter_redirects_keep_welsh(sites: Sites, http: aiohttp.ClientSession) -> None:
    async with http.get(sites.reporter_url + "/thread?lang=cy", allow_redirects=False) as resp:
        assert resp.headers["Location"] == "/check?result=expired&lang=cy"
