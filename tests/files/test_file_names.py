"""File names as browsers send them: semicolons, quotes, NULs, very long names, broken headers.

Browsers put a file's name in the part header as it is, semicolons included
(`filename="Meeting; DS Smith; bribes.pdf"`). aiohttp's parser gave up on such a header: the
part was read as a text field, the report was accepted without the file, and a warning
quoting the whole name went to stderr.
"""

from __future__ import annotations

import logging

import aiohttp
import pytest

from tests.conftest import Sites
from tests.files.test_upload_http import receipt_in
from tests.files.uploads import read_all, report_of, unit_files
from tests.journeys import Reporter, csrf_from, raw_multipart, report_fields
from tests.leakcheck import remember, remember_fields
from tests.test_reporter_journey import enrol


async def post_raw_files(
    reporter: Reporter, files: list[tuple[str, str, bytes]]
) -> tuple[int, str]:
    _, page = await reporter.get("/report")
    fields = report_fields()
    remember_fields(fields)
    fields["csrf_token"] = csrf_from(page)
    body, headers = raw_multipart({k: v.encode() for k, v in fields.items()}, files=files)
    async with reporter.http.post(reporter.base + "/report", data=body, headers=headers) as resp:
        return resp.status, await resp.text()


NAMES = {
    "semicolons": "Meeting; DS Smith; bribes.pdf",
    "equals and semicolon": "a=b; c=d.txt",
    "unicode": "Cyfarfod; ûŵ ✓.pdf",
}


@pytest.mark.parametrize("kind", list(NAMES))
async def test_names_with_semicolons_keep_the_file(
    sites: Sites, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.DEBUG)
    name = NAMES[kind]
    remember(name)
    status, page = await post_raw_files(Reporter(http, sites.reporter_url), [("attachments", name, b"%PDF-1.4 x")])
    assert status == 200, page
    assert "1 file was received" in page
    receipt = receipt_in(page)
    alice = await enrol(sites, "alice", "kent-police")
    [opened] = await unit_files(sites, alice, await report_of(sites, receipt))
    assert opened.meta.name == name
    assert await read_all(opened) == b"%PDF-1.4 x"
    for record in caplog.records:
        assert "Smith" not in record.getMessage() and "Cyfarfod" not in record.getMessage()


@pytest.mark.parametrize(
    "name", ["before\x00after.pdf", "x" * 10_000 + ".pdf", "\x00", "../../etc/passwd", "a\\b\\c.txt"]
)
async def test_odd_names_are_stored_safely_or_refused_kindly(
    sites: Sites, http: aiohttp.ClientSession, name: str
) -> None:
    status, page = await post_raw_files(Reporter(http, sites.reporter_url), [("attachments", name, b"data")])
    assert status in (200, 400), page[:300]
    if status == 200:
        assert "1 file was received" in page
    else:
        assert "nothing was kept" in page.lower()


@pytest.mark.parametrize(
    "disposition",
    [
        'form-data; name="attachments"; filename="unterminated.pdf',
        'form-data; name="attachments"; filename=',
        'form-data; name="attachments"; filename="a"; filename="b"',
    ],
)
async def test_unreadable_file_headers_refuse_the_report_with_a_clear_page(
    sites: Sites, http: aiohttp.ClientSession, disposition: str
) -> None:
    reporter = Reporter(http, sites.reporter_url)
    _, page = await reporter.get("/report")
    fields = report_fields()
    fields["csrf_token"] = csrf_from(page)
    boundary = "tipdropBoundary7"
    out = bytearray()
    for key, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
    out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\nfile bytes\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    async with http.post(sites.reporter_url + "/report", data=bytes(out), headers=headers) as resp:
        status, text = resp.status, await resp.text()
    # Never silently accepted without the file: refused, with a page that says why.
    assert status == 400, text[:300]
    assert "could not read the name" in text
    assert "nothing was kept" in text.lower()
    row = await sites.services.db.fetch_one("SELECT count(*) FROM reports")
    assert row is not None and row[0] == 0
