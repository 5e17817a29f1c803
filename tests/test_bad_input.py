"""Invariant 7: bad input gets a clear, friendly page with the right status, and nothing is lost."""

from __future__ import annotations

import io

import aiohttp
import pytest

from tests.conftest import Sites
from tests.journeys import Reporter, csrf_from, multipart, raw_multipart, report_fields

TRACEBACK_SIGNS = ("Traceback", 'File "', "Error:", "aiohttp.")


def friendly(page: str) -> None:
    assert "<h1>" in page
    for sign in TRACEBACK_SIGNS[:2]:
        assert sign not in page


async def post_report(reporter: Reporter, fields: dict[str, str], token: bool = True) -> tuple[int, str]:
    _, page = await reporter.get("/report")
    if token:
        fields.setdefault("csrf_token", csrf_from(page))
    async with reporter.http.post(reporter.base + "/report", data=multipart(fields)) as resp:
        return resp.status, await resp.text()


async def count_reports(sites: Sites) -> int:
    row = await sites.services.db.fetch_one("SELECT count(*) FROM reports")
    assert row is not None
    return int(row[0])


async def test_empty_form(sites: Sites, http: aiohttp.ClientSession) -> None:
    status, page = await post_report(Reporter(http, sites.reporter_url), {})
    assert status == 400
    friendly(page)
    assert "There is a problem" in page
    for anchor in ("#force", "#conduct", "#what_happened"):
        assert f'href="{anchor}"' in page
    assert await count_reports(sites) == 0


async def test_megabyte_in_a_short_field_keeps_the_rest(sites: Sites, http: aiohttp.ClientSession) -> None:
    fields = report_fields(subject_name="x" * 1_000_000, what_happened="KEEPMEZq9 story")
    status, page = await post_report(Reporter(http, sites.reporter_url), fields)
    assert status == 400
    friendly(page)
    assert "under 200 characters" in page
    assert "KEEPMEZq9 story" in page
    assert await count_reports(sites) == 0


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
async def test_body_over_the_limit_is_413(sites: Sites, http: aiohttp.ClientSession, encoding: str) -> None:
    reporter = Reporter(http, sites.reporter_url)
    _, page = await reporter.get("/report")
    fields = {k: v.encode() for k, v in report_fields(what_happened="y" * (5 * 1024 * 1024)).items()}
    fields["csrf_token"] = csrf_from(page).encode()
    if encoding == "multipart":
        body, headers = raw_multipart(fields)
    else:
        body = io.BytesIO(b"&".join(k.encode() + b"=" + v for k, v in fields.items()))
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with http.post(sites.reporter_url + "/report", data=body, headers=headers) as resp:
        text = await resp.text()
    assert resp.status == 413
    friendly(text)
    assert await count_reports(sites) == 0


async def test_invalid_utf8_is_flagged_not_lost(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    _, page = await reporter.get("/report")
    fields = {k: v.encode() for k, v in report_fields().items()}
    fields["what_happened"] = b"caf\xc3\xa9 then \xff\xfe broken"
    fields["csrf_token"] = csrf_from(page).encode()
    body, headers = raw_multipart(fields)
    async with http.post(sites.reporter_url + "/report", data=body, headers=headers) as resp:
        body = await resp.text()
    assert resp.status == 400
    friendly(body)
    assert "could not be read" in body
    assert "café then" in body
    assert await count_reports(sites) == 0


async def test_invalid_utf8_urlencoded(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    _, page = await reporter.get("/report")
    body = "force=kent-police&conduct=corruption&contact_choice=anonymous&what_happened=ok%FF%FE&csrf_token="
    async with http.post(
        sites.reporter_url + "/report",
        data=(body + csrf_from(page)).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ) as resp:
        text = await resp.text()
    assert resp.status == 400
    assert "could not be read" in text


async def test_unknown_force(sites: Sites, http: aiohttp.ClientSession) -> None:
    status, page = await post_report(
        Reporter(http, sites.reporter_url), report_fields(force="atlantis-police")
    )
    assert status == 400
    friendly(page)
    assert "Choose the force" in page


@pytest.mark.parametrize("token", [None, "", "1.2.3", "forged.token.value"])
async def test_missing_or_forged_csrf_keeps_the_text(
    sites: Sites, http: aiohttp.ClientSession, token: str | None
) -> None:
    fields = report_fields(what_happened="KEEPMEZq9 csrf")
    if token is not None:
        fields["csrf_token"] = token
    status, page = await post_report(Reporter(http, sites.reporter_url), fields, token=False)
    assert status == 403
    friendly(page)
    assert "KEEPMEZq9 csrf" in page
    assert "send the form again" in page.lower()
    assert await count_reports(sites) == 0


async def test_replayed_csrf_cannot_submit_twice(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    _, page = await reporter.get("/report")
    fields = report_fields()
    fields["csrf_token"] = csrf_from(page)
    async with http.post(sites.reporter_url + "/report", data=multipart(fields)) as resp:
        assert resp.status == 200
    async with http.post(sites.reporter_url + "/report", data=multipart(fields)) as resp:
        assert resp.status == 409  # said plainly: already sent (tests/reporter/test_receipt_once.py)
    assert await count_reports(sites) == 1


async def test_csrf_on_check_and_thread(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    receipt = await reporter.submit_ok()
    async with http.post(sites.reporter_url + "/check", data={"receipt": receipt}) as resp:
        assert resp.status == 403
        friendly(await resp.text())
    await reporter.open_thread(receipt)
    async with http.post(
        sites.reporter_url + "/thread/message",
        data=multipart({"message": "KEEPMEZq9 msg", "csrf_token": "x"}),
    ) as resp:
        page = await resp.text()
        assert resp.status == 403
        assert "KEEPMEZq9 msg" in page


async def test_expired_session_shows_unsent_message(sites: Sites, http: aiohttp.ClientSession) -> None:
    async with http.post(
        sites.reporter_url + "/thread/message",
        data=multipart({"message": "KEEPMEZq9 late", "csrf_token": "x"}),
    ) as resp:
        page = await resp.text()
    assert resp.status == 401
    assert "signed out" in page
    assert "KEEPMEZq9 late" in page
    async with http.get(sites.reporter_url + "/thread", allow_redirects=False) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/check?result=expired"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nothing-here", 404),
        ("DELETE", "/report", 405),
        ("PUT", "/check", 405),
        ("GET", "/thread/message", 405),
        ("GET", "/static/../pepper.key", 404),
    ],
)
async def test_friendly_error_pages(
    sites: Sites, http: aiohttp.ClientSession, method: str, path: str, status: int
) -> None:
    async with http.request(method, sites.reporter_url + path) as resp:
        page = await resp.text()
    assert resp.status == status
    friendly(page)
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")


async def test_wrong_content_type(sites: Sites, http: aiohttp.ClientSession) -> None:
    async with http.post(
        sites.reporter_url + "/report", data=b"{}", headers={"Content-Type": "application/json"}
    ) as resp:
        page = await resp.text()
    assert resp.status == 415
    friendly(page)


async def test_broken_multipart(sites: Sites, http: aiohttp.ClientSession) -> None:
    async with http.post(
        sites.reporter_url + "/report",
        data=b"--xyz\r\nContent-Disposition: form-data\r\n\r\nno end",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    ) as resp:
        page = await resp.text()
    assert resp.status in (400, 403)
    friendly(page)
