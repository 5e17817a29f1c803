"""Issue 14 item 4: another site cannot make a reporter's browser post to the reporter site."""

from __future__ import annotations

import aiohttp
import pytest

from dropbox_server.web.reporter.session import REPORTER_COOKIE
from tests.conftest import Sites
from tests.journeys import Reporter, csrf_from, multipart, report_fields


def _browser() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _reports(sites: Sites) -> int:
    row = await sites.services.db.fetch_one("SELECT count(*) FROM reports")
    return int(row[0]) if row else 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "http://attackerattackerattackerattackerattackerattackerabcd.onion"},
    ],
)
async def test_another_onion_cannot_post_its_receipt_or_a_report_from_the_victims_browser(
    sites: Sites, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    """The attack as reported: the attacker's page posts /check with the attacker's receipt
    (the victim would then write into the attacker's report), and posts /report."""
    attacker = Reporter(http, sites.reporter_url)
    receipt = await attacker.submit_ok()
    _, check_page = await attacker.get("/check")
    _, report_page = await attacker.get("/report")
    async with _browser() as victim:
        check = {"receipt": receipt, "csrf_token": csrf_from(check_page)}
        async with victim.post(
            sites.reporter_url + "/check", data=check, headers=headers, allow_redirects=False
        ) as resp:
            page = await resp.text()
            assert resp.status == 403 and "another website" in page
            assert REPORTER_COOKIE not in resp.cookies
        fields = {**report_fields(), "csrf_token": csrf_from(report_page)}
        async with victim.post(
            sites.reporter_url + "/report", data=multipart(fields), headers=headers, allow_redirects=False
        ) as resp:
            assert resp.status == 403
    assert await _reports(sites) == 1


async def test_a_token_from_another_browser_is_refused_even_when_origin_is_unknown(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    """No Sec-Fetch-Site and `Origin: null` (what no-referrer pages send) pass the origin
    check; the token is then bound to the pre-session cookie the victim's browser does not
    send with a post another site started."""
    attacker = Reporter(http, sites.reporter_url)
    receipt = await attacker.submit_ok()
    _, check_page = await attacker.get("/check")
    async with _browser() as victim:
        check = {"receipt": receipt, "csrf_token": csrf_from(check_page)}
        async with victim.post(
            sites.reporter_url + "/check", data=check, headers={"Origin": "null"}, allow_redirects=False
        ) as resp:
            assert resp.status == 403
            assert REPORTER_COOKIE not in resp.cookies
            # The refused form does not come back filled with the attacker's receipt.
            assert receipt not in await resp.text()


async def test_same_site_posts_work_with_or_without_origin(sites: Sites, http: aiohttp.ClientSession) -> None:
    base = sites.reporter_url
    host = base.removeprefix("http://")
    for headers in (
        {"Sec-Fetch-Site": "same-origin", "Origin": "null"},  # Chromium, Tor Browser
        {"Origin": f"http://{host}"},
        {"Origin": "null"},
        {},
    ):
        async with http.get(base + "/report") as resp:
            fields = {**report_fields(), "csrf_token": csrf_from(await resp.text())}
        async with http.post(base + "/report", data=multipart(fields), headers=headers) as resp:
            assert resp.status == 200, headers
    assert await _reports(sites) == 4


async def test_the_pre_session_cookie_is_strict_http_only_and_has_no_expiry(
    http: aiohttp.ClientSession, sites: Sites
) -> None:
    async with http.get(sites.reporter_url + "/report") as resp:
        cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "expires" not in cookie.lower() and "max-age" not in cookie.lower()


async def test_a_refused_cross_site_form_is_not_left_filled_in(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    """Posts that pass the origin check (Origin: null) but carry no pre-session cookie come
    back empty; a reporter's own expired form (cookie sent) keeps everything typed."""
    attacker = Reporter(http, sites.reporter_url)
    _, report_page = await attacker.get("/report")
    planted = report_fields(what_happened="PLANTEDzq7 words")
    async with _browser() as victim, victim.post(
        sites.reporter_url + "/report",
        data=multipart({**planted, "csrf_token": csrf_from(report_page)}),
        headers={"Origin": "null"},
    ) as resp:
        assert resp.status == 403 and "PLANTEDzq7" not in await resp.text()
    async with http.post(
        sites.reporter_url + "/report", data=multipart({**planted, "csrf_token": "expired"})
    ) as resp:
        assert resp.status == 403 and "PLANTEDzq7" in await resp.text()
    async with http.get(sites.reporter_url + "/check") as resp:
        await resp.read()
    async with http.post(
        sites.reporter_url + "/check", data={"receipt": "kept words", "csrf_token": "x"}
    ) as resp:
        assert resp.status == 403 and "kept words" in await resp.text()
