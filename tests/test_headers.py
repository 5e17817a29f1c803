"""Invariant 3: every response of both sites carries the strict headers; no stray cookies.

The only cookies: the reporter session after a right receipt, a staff session after sign-in,
and the reporter forms' pre-session cookie (a random id binding their CSRF tokens).
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from dropbox_server.app import create_investigator_app, create_reporter_app
from dropbox_server.web.middlewares import SECURITY_HEADERS
from dropbox_server.web.reporter.presession import PRESESSION_COOKIE
from tests.conftest import Sites
from tests.journeys import Reporter


def routes(app: web.Application) -> list[tuple[str, str]]:
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        if "prefix" in info:
            path = info["prefix"].rstrip("/") + "/site.css"
        else:
            path = (info.get("path") or info.get("formatter") or "").replace("{", "").replace("}", "")
        if path and route.method in ("GET", "POST"):
            found.append((route.method, path))
    return found


def check_headers(resp: aiohttp.ClientResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert resp.headers.get(name) == value, (resp.url, name)
    assert "Server" not in resp.headers


async def walk(http: aiohttp.ClientSession, base: str, app: web.Application) -> int:
    seen = 0
    for method, path in routes(app):
        async with http.request(method, base + path, allow_redirects=False) as resp:
            body = await resp.text()
            assert resp.status < 500, (method, path, resp.status)
            assert "Traceback" not in body
            check_headers(resp)
            for cookie in resp.headers.getall("Set-Cookie", []):
                # Only the pre-session cookie of the reporter forms (tests/reporter/test_cross_site.py).
                assert cookie.startswith(f"{PRESESSION_COOKIE}="), (method, path)
                assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "xpires" not in cookie
            seen += 1
    return seen


async def test_every_route_of_both_sites(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter_app = create_reporter_app(sites.settings, sites.services)
    investigator_app = create_investigator_app(sites.settings, sites.services)
    assert await walk(http, sites.reporter_url, reporter_app) >= 8
    assert await walk(http, sites.investigator_url, investigator_app) >= 1


async def test_reporter_site_has_no_investigator_routes(sites: Sites) -> None:
    reporter_paths = {p for _, p in routes(create_reporter_app(sites.settings, sites.services))}
    investigator_paths = {p for _, p in routes(create_investigator_app(sites.settings, sites.services))}
    assert not (investigator_paths - {"/", "/static/site.css"}) & reporter_paths


async def test_only_a_right_receipt_sets_a_cookie_and_it_is_strict(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    reporter = Reporter(http, sites.reporter_url)
    receipt = await reporter.submit_ok()
    for page in ("/", "/report", "/check"):
        async with http.get(sites.reporter_url + page) as resp:
            assert "Set-Cookie" not in resp.headers
    resp = await reporter.check(receipt)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie


async def test_no_third_party_resources(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    receipt = await reporter.submit_ok()
    await reporter.open_thread(receipt)
    for page in reporter.pages:
        assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in page
        assert "<script" not in page
        assert "style=" not in page
