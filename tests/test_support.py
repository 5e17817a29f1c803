"""Who runs the service and where to get help: every footer, the start page, the support page,
and a deployment's own support file in both languages."""

from __future__ import annotations

import aiohttp
import pytest

from dropbox_server.app import create_reporter_app
from dropbox_server.config import Settings
from dropbox_server.support import SUPPORT_FILE, SupportFileError, parse_support
from tests.conftest import Sites, _start
from tests.investigator.driver import text_of

INDEPENDENT = {"en": "It is independent of every police force.", "cy": "Mae’n annibynnol ar bob heddlu."}


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as resp:
        return resp.status, " ".join(text_of(await resp.text()).split())


@pytest.mark.parametrize("lang", ["en", "cy"])
async def test_every_footer_says_who_runs_it_and_the_reporter_site_links_to_support(
    sites: Sites, http: aiohttp.ClientSession, lang: str
) -> None:
    query = "" if lang == "en" else "?lang=cy"
    for base, path in (
        (sites.reporter_url, "/"),
        (sites.reporter_url, "/report"),
        (sites.reporter_url, "/check"),
        (sites.reporter_url, "/support"),
        (sites.reporter_url, "/no-such-page"),
        (sites.investigator_url, "/sign-in"),
    ):
        async with http.get(base + path + query) as resp:
            page = await resp.text()
        footer = page.split('<footer class="site-footer">')[1]
        assert INDEPENDENT[lang] in text_of(footer), path
        if base == sites.reporter_url:
            assert f'<a href="/support{query}">' in footer, path
    _, start = await _get(http, sites.reporter_url + "/" + query)
    assert start.count(INDEPENDENT[lang]) == 2  # once on the page itself, once in the footer


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("en", ["call 999", "Domestic abuse", "Rape and sexual violence", "Samaritans", "116 123"]),
        ("cy", ["ffoniwch 999", "Cam-drin domestig", "Treisio a thrais rhywiol", "Samariaid", "116 123"]),
    ],
)
async def test_the_support_page_signposts_the_default_services(
    sites: Sites, http: aiohttp.ClientSession, lang: str, shown: list[str]
) -> None:
    status, page = await _get(http, sites.reporter_url + "/support" + ("" if lang == "en" else "?lang=cy"))
    assert status == 200
    for words in shown:
        assert words in page, words


SUPPORT_TOML = """
operator = { en = "Example Trust", cy = "Ymddiriedolaeth Enghreifftiol" }

[[service]]
topic = "domestic-abuse"
name = { en = "Example Refuge Line", cy = "Llinell Loches Enghreifftiol" }
contact = { en = "0800 000 0000, weekdays" }
about = { en = "Local help.", cy = "Help lleol." }
"""


async def test_a_deployment_names_its_operator_and_its_own_services(
    settings: Settings, services: object, http: aiohttp.ClientSession
) -> None:
    (settings.data_dir / SUPPORT_FILE).write_text(SUPPORT_TOML, "utf-8")
    runner, url = await _start(create_reporter_app(settings, services))  # type: ignore[arg-type]
    try:
        _, english = await _get(http, url + "/support")
        _, welsh = await _get(http, url + "/support?lang=cy")
    finally:
        await runner.cleanup()
    assert "This service is run by Example Trust." in english
    assert "Example Refuge Line : 0800 000 0000, weekdays. Local help." in english
    assert "Samaritans" not in english  # the deployment's list replaces the defaults
    assert "Ymddiriedolaeth Enghreifftiol" in welsh
    assert "Llinell Loches Enghreifftiol : 0800 000 0000, weekdays. Help lleol." in welsh


@pytest.mark.parametrize(
    "text",
    [
        "operator = 'a plain string'",
        "[[service]]\ntopic = 'gardening'\nname = { en = 'x' }\ncontact = { en = 'x' }\nabout = { en = 'x' }",
        "[[service]]\ntopic = 'emergency'\nname = { cy = 'dim ond Cymraeg' }\ncontact = { en = 'x' }\nabout = { en = 'x' }",
        "operater = { en = 'typo' }",
        "not toml at all [",
    ],
)
def test_a_support_file_that_cannot_be_used_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(SupportFileError):
        parse_support(text)
