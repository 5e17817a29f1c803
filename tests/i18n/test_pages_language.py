"""Every reporter page in each language: fully translated, marked with the right `lang`, and every
internal link, form and redirect keeps the language the reporter chose (no cookie is set)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from dropbox_server.forces import FORCES
from dropbox_server.i18n import DEFAULT_LANGUAGE, LANGUAGES
from tests.conftest import Sites
from tests.i18n.helpers import page_text, reply_from_unit
from tests.journeys import _RECEIPT, csrf_from, multipart, report_fields

# Words that are the same in every language: proper names and the language names themselves.
SAME_IN_EVERY_LANGUAGE = {f.name for f in FORCES} | set(LANGUAGES.values()) | {"Tor Browser"}
UNKNOWN_RECEIPT = "abacus abdomen abdominal abide abiding ability ablaze"


@dataclass
class Client:
    """A browser without JavaScript in one language: it adds `lang` only to the first request."""

    http: aiohttp.ClientSession
    base: str
    lang: str

    def url(self, path: str, extra: str = "") -> str:
        query = "&".join(
            p for p in (extra, "" if self.lang == DEFAULT_LANGUAGE else f"lang={self.lang}") if p
        )
        return f"{self.base}{path}{'?' + query if query else ''}"

    async def get(self, path: str, extra: str = "") -> tuple[int, str]:
        async with self.http.get(self.url(path, extra), allow_redirects=False) as resp:
            return resp.status, await resp.text()

    async def post(self, path: str, data: aiohttp.FormData | dict[str, str]) -> aiohttp.ClientResponse:
        async with self.http.post(self.url(path), data=data, allow_redirects=False) as resp:
            await resp.read()
            return resp

    async def post_text(self, path: str, data: aiohttp.FormData | dict[str, str]) -> tuple[int, str]:
        async with self.http.post(self.url(path), data=data, allow_redirects=False) as resp:
            return resp.status, await resp.text()

    async def token(self, path: str) -> str:
        return csrf_from((await self.get(path))[1])


def redirect_lang(resp: aiohttp.ClientResponse) -> str:
    """The language a redirect keeps (its `lang` query parameter, English when absent)."""
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    return query.get("lang", [DEFAULT_LANGUAGE])[0]


async def every_page(sites: Sites, lang: str) -> dict[str, str]:
    """Each reporter page and each of its error states, as served in `lang`; redirects are checked."""
    pages: dict[str, str] = {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        c = Client(http, sites.reporter_url, lang)
        pages["landing"] = (await c.get("/"))[1]
        pages["support"] = (await c.get("/support"))[1]
        pages["report"] = (await c.get("/report"))[1]
        pages["report-empty"] = (
            await c.post_text("/report", multipart({"csrf_token": await c.token("/report")}))
        )[1]
        long_name = report_fields(subject_name="x" * 201, csrf_token=await c.token("/report"))
        pages["report-too-long"] = (await c.post_text("/report", multipart(long_name)))[1]
        status, pages["report-bad-csrf"] = await c.post_text(
            "/report", multipart(report_fields(csrf_token="bad"))
        )
        assert status == 403
        sent_form = multipart(report_fields(csrf_token=await c.token("/report")))
        resp = await c.post("/report", sent_form)
        assert resp.status == 303 and redirect_lang(resp) == lang
        status, pages["receipt"] = await c.get("/receipt")
        assert status == 200
        status, pages["receipt-gone"] = await c.get("/receipt")
        assert status == 410
        status, pages["report-already-sent"] = await c.post_text("/report", sent_form)
        assert status == 409
        match = _RECEIPT.search(pages["receipt"])
        assert match
        receipt = match.group(1).strip()
        pages["check"] = (await c.get("/check"))[1]

        resp = await c.post("/check", {"receipt": UNKNOWN_RECEIPT, "csrf_token": await c.token("/check")})
        assert resp.status == 303 and redirect_lang(resp) == lang
        pages["check-unknown"] = (await c.get("/check", "result=unknown"))[1]
        status, pages["check-wrong-count"] = await c.post_text(
            "/check", {"receipt": "abacus abdomen abdominal", "csrf_token": await c.token("/check")}
        )
        assert status == 400
        status, pages["check-unknown-word"] = await c.post_text(
            "/check", {"receipt": "zzzz " * 7, "csrf_token": await c.token("/check")}
        )
        assert status == 400
        resp = await c.post("/thread/message", multipart({"message": "kept words", "csrf_token": "x"}))
        assert resp.status == 401
        status, pages["check-expired-kept"] = await c.post_text(
            "/thread/message", multipart({"message": "kept", "csrf_token": "x"})
        )
        async with http.get(c.url("/thread"), allow_redirects=False) as resp:
            assert resp.status == 303 and redirect_lang(resp) == lang
        pages["check-expired"] = (await c.get("/check", "result=expired"))[1]

        await reply_from_unit(sites, receipt, "Can you tell us the date?")
        resp = await c.post("/check", {"receipt": receipt, "csrf_token": await c.token("/check")})
        assert (
            resp.status == 303
            and resp.headers["Location"].startswith("/thread")
            and redirect_lang(resp) == lang
        )
        pages["thread"] = (await c.get("/thread"))[1]
        status, pages["thread-empty-message"] = await c.post_text(
            "/thread/message", multipart({"message": " ", "csrf_token": await c.token("/thread")})
        )
        assert status == 400
        resp = await c.post(
            "/thread/message", multipart({"message": "More.", "csrf_token": await c.token("/thread")})
        )
        assert resp.status == 303 and redirect_lang(resp) == lang
        pages["thread-sent"] = (await c.get("/thread", "sent=1"))[1]
        resp = await c.post("/logout", {"csrf_token": await c.token("/thread")})
        assert resp.status == 303 and redirect_lang(resp) == lang
        pages["not-found"] = (await c.get("/no-such-page"))[1]
        assert not any(cookie.key == "lang" for cookie in http.cookie_jar)
    return pages


@pytest.fixture
async def pages_by_language(sites: Sites) -> dict[str, dict[str, str]]:
    return {lang: await every_page(sites, lang) for lang in LANGUAGES}


async def test_welsh_pages_have_no_english_left(pages_by_language: dict[str, dict[str, str]]) -> None:
    english, welsh = pages_by_language["en"], pages_by_language["cy"]
    assert english.keys() == welsh.keys()
    for name in english:
        left = (page_text(welsh[name]).segments & page_text(english[name]).segments) - SAME_IN_EVERY_LANGUAGE
        assert not left, f"{name}: not translated: {sorted(left)}"


async def test_pages_declare_their_language(pages_by_language: dict[str, dict[str, str]]) -> None:
    for lang, pages in pages_by_language.items():
        for name, html in pages.items():
            assert page_text(html).page_lang == lang, name
            for code, label in LANGUAGES.items():
                if code != lang:  # the link to each other language is marked with that language
                    assert f'lang="{code}" hreflang="{code}">{label}</a>' in html or name == "receipt", name
        assert '<ol class="receipt" aria-labelledby="receipt-title" lang="en">' in pages["receipt"]
        assert 'name="receipt" rows="3"' in pages["check"] and 'lang="en"' in pages["check"]


async def test_welsh_pages_say_receipts_are_english_words(
    pages_by_language: dict[str, dict[str, str]],
) -> None:
    for name in ("receipt", "check", "check-wrong-count"):
        assert "Mae derbynebau bob amser yn eiriau Saesneg" in pages_by_language["cy"][name], name
        assert "Receipts are always made of English words" not in pages_by_language["en"][name], name


async def test_every_internal_link_and_form_keeps_the_language(
    pages_by_language: dict[str, dict[str, str]],
) -> None:
    for lang, pages in pages_by_language.items():
        for name, html in pages.items():
            for target, attrs in page_text(html).links:
                if not target.startswith("/") or "hreflang" in attrs:
                    continue  # in-page anchors, and the links that change language on purpose
                kept = parse_qs(urlsplit(target).query).get("lang", [DEFAULT_LANGUAGE])[0]
                assert kept == lang, f"{lang} {name}: {target} loses the language"


async def test_welsh_forces_show_their_welsh_names(pages_by_language: dict[str, dict[str, str]]) -> None:
    welsh_form = pages_by_language["cy"]["report"]
    assert ">Heddlu De Cymru</option>" in welsh_form and ">Kent Police</option>" in welsh_form
    assert ">South Wales Police</option>" in pages_by_language["en"]["report"]
