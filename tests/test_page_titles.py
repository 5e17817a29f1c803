"""Page titles read "Page – Service name", and no title names the service twice."""

from __future__ import annotations

import re
from html import unescape

import aiohttp
import pytest

from dropbox_server.i18n import LANGUAGES, translations
from dropbox_server.web.rendering import SITE_NAMES
from tests.conftest import Sites

_TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def _title(page: str) -> str:
    found = _TITLE.search(page)
    assert found, "no <title>"
    return unescape(found.group(1)).strip()


@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_titles_name_the_page_then_the_service_once(
    sites: Sites, http: aiohttp.ClientSession, lang: str
) -> None:
    query = "" if lang == "en" else f"?lang={lang}"
    names = {site: translations(lang).gettext(name) for site, name in SITE_NAMES.items()}
    checked = []
    for site, base, paths in (
        ("reporter", sites.reporter_url, ["/", "/report", "/check", "/support", "/no-such-page"]),
        ("investigator", sites.investigator_url, ["/sign-in", "/enrol", "/no-such-page"]),
    ):
        for path in paths:
            async with http.get(base + path + query) as resp:
                title = _title(await resp.text())
            name = names[site]
            assert title.count(name) == 1, (path, title)
            assert title == name or title.endswith(" – " + name), (path, title)
            page_part = title.removesuffix(name).removesuffix(" – ")
            assert page_part != name, (path, title)
            checked.append(title)
    assert names["reporter"] in checked  # the start page: the service name alone
