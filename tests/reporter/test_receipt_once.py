"""Issue 14 item 3: the receipt page survives a refresh without a duplicate or a lost receipt."""

from __future__ import annotations

import re

import aiohttp

from tests.conftest import Sites
from tests.journeys import _RECEIPT, csrf_from, multipart, report_fields


async def _reports(sites: Sites) -> int:
    row = await sites.services.db.fetch_one("SELECT count(*) FROM reports")
    return int(row[0]) if row else 0


async def test_report_post_redirects_to_a_receipt_shown_exactly_once(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    base = sites.reporter_url
    async with http.get(base + "/report") as resp:
        fields = {**report_fields(), "csrf_token": csrf_from(await resp.text())}
    async with http.post(base + "/report", data=multipart(fields), allow_redirects=False) as resp:
        location = resp.headers["Location"]
        assert resp.status == 303 and location.startswith("/receipt?ticket=")
        set_cookies = resp.headers.getall("Set-Cookie", [])
        assert await resp.read() == b"" or _RECEIPT.search(await resp.text()) is None
    async with http.get(base + location) as resp:
        page = await resp.text()
    match = _RECEIPT.search(page)
    assert resp.status == 200 and match
    receipt = match.group(1).strip()
    # Never in the redirect, a cookie value or a later page.
    assert all(receipt not in c and receipt.replace(" ", "") not in c for c in set_cookies)
    async with http.get(base + location) as resp:  # the refresh
        again = await resp.text()
    assert resp.status == 410 and "shown once" in again
    assert _RECEIPT.search(again) is None and receipt not in again
    assert await _reports(sites) == 1

    # A re-post of the spent form (back, then resubmit) files nothing and says it was sent.
    async with http.post(base + "/report", data=multipart(fields), allow_redirects=False) as resp:
        reposted = await resp.text()
    assert resp.status == 409
    assert "This report was already sent" in reposted and "nothing was sent" not in reposted.lower()
    assert await _reports(sites) == 1


async def test_a_repost_before_the_receipt_was_shown_offers_it_once(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    """A double click: the first post stored the report, the browser shows the second's answer."""
    base = sites.reporter_url
    async with http.get(base + "/report") as resp:
        fields = {**report_fields(), "csrf_token": csrf_from(await resp.text())}
    async with http.post(base + "/report", data=multipart(fields), allow_redirects=False) as resp:
        assert resp.status == 303
    async with http.post(base + "/report", data=multipart(fields), allow_redirects=False) as resp:
        page = await resp.text()
    link = re.search(r'href="(/receipt\?ticket=[^"]+)"', page)
    assert resp.status == 409 and link
    async with http.get(base + link.group(1)) as resp:
        assert resp.status == 200 and _RECEIPT.search(await resp.text())
    assert await _reports(sites) == 1


async def test_a_refused_form_can_be_sent_again_with_the_same_token(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    """Only a stored report spends the token: refreshing an error page is not 'already sent'."""
    base = sites.reporter_url
    async with http.get(base + "/report") as resp:
        token = csrf_from(await resp.text())
    broken = {**report_fields(what_happened=""), "csrf_token": token}
    for _ in range(2):
        async with http.post(base + "/report", data=multipart(broken)) as resp:
            assert resp.status == 400
    fixed = {**report_fields(), "csrf_token": token}
    async with http.post(base + "/report", data=multipart(fixed)) as resp:
        assert resp.status == 200 and _RECEIPT.search(await resp.text())
    assert await _reports(sites) == 1


async def test_two_tabs_each_show_their_own_receipt(sites: Sites, http: aiohttp.ClientSession) -> None:
    """Both forms are sent before either receipt page is fetched; neither receipt is lost."""
    base = sites.reporter_url
    locations = []
    for marker in ("first tab", "second tab"):
        async with http.get(base + "/report") as resp:
            fields = {**report_fields(what_happened=marker), "csrf_token": csrf_from(await resp.text())}
        async with http.post(base + "/report", data=multipart(fields), allow_redirects=False) as resp:
            locations.append(resp.headers["Location"])
    async with aiohttp.ClientSession() as other_browser, other_browser.get(base + locations[0]) as resp:
        assert resp.status == 410, "a ticket opens nothing without the browser's cookie"
    receipts = []
    for location in locations:
        async with http.get(base + location) as resp:
            match = _RECEIPT.search(await resp.text())
            assert resp.status == 200 and match
            receipts.append(match.group(1))
    assert len(set(receipts)) == 2
