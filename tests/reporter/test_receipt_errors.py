"""Issue 14 item 5: a receipt error keeps what was typed, marks the unknown word, and says
that the order of the words matters."""

from __future__ import annotations

import re
from html import unescape

import aiohttp

from tests.conftest import Sites
from tests.journeys import csrf_from

_BOX = re.compile(r'<textarea id="receipt"[^>]*>(.*?)</textarea>', re.S)
WELL_FORMED = "abacus abdomen abdominal abide abiding ability ablaze"


def _box(page: str) -> str:
    match = _BOX.search(page)
    assert match, "no receipt box"
    return unescape(match.group(1)).strip()


async def _post(http: aiohttp.ClientSession, base: str, typed: str) -> aiohttp.ClientResponse:
    async with http.get(base + "/check") as resp:
        token = csrf_from(await resp.text())
    async with http.post(
        base + "/check", data={"receipt": typed, "csrf_token": token}, allow_redirects=False
    ) as resp:
        await resp.read()
        return resp


async def test_an_unknown_word_is_marked_and_what_was_typed_stays(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    typed = "Abacus abdomen ZZTOP abide abiding ability ablaze"
    resp = await _post(http, sites.reporter_url, typed)
    page = await resp.text()
    assert resp.status == 400
    assert _box(page) == typed
    assert "<mark>zztop" in page and page.count("<mark>") == 1
    assert "order" in page.lower()


async def test_a_receipt_that_opens_nothing_comes_back_once_in_the_box(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    resp = await _post(http, sites.reporter_url, WELL_FORMED)
    assert resp.status == 303 and resp.headers["Location"] == "/check?result=unknown"
    assert all(word not in resp.headers["Location"] for word in WELL_FORMED.split())
    async with http.get(sites.reporter_url + resp.headers["Location"]) as page_resp:
        page = await page_resp.text()
    assert _box(page) == WELL_FORMED
    assert "order of the words matters" in page
    async with http.get(sites.reporter_url + "/check?result=unknown") as again:
        assert _box(await again.text()) == "", "shown back once, not kept"


async def test_wrong_count_keeps_the_words(sites: Sites, http: aiohttp.ClientSession) -> None:
    resp = await _post(http, sites.reporter_url, "abacus abdomen")
    page = await resp.text()
    assert resp.status == 400 and _box(page) == "abacus abdomen" and "<mark>" not in page
