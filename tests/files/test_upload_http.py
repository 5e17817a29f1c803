"""Reporters attach files over real HTTP: byte-exact round trips, limits, nothing left behind."""

from __future__ import annotations

import os

import aiohttp
import pytest

from dropbox_server.filecrypt import FILE_RECORD_PLAIN
from dropbox_server.files.download import FileDamaged
from dropbox_server.store import files as file_store
from tests.conftest import Sites
from tests.files.uploads import (
    follow_up_with_files,
    read_all,
    report_of,
    stored_files,
    submit_with_files,
    unit_files,
)
from tests.journeys import _RECEIPT, Reporter
from tests.test_reporter_journey import enrol

SIZES = [0, 1, FILE_RECORD_PLAIN - 1, FILE_RECORD_PLAIN, FILE_RECORD_PLAIN + 1, 50 * 1024 * 1024]


def receipt_in(page: str) -> str:
    match = _RECEIPT.search(page)
    assert match, "no receipt on the page"
    return match.group(1).strip()


@pytest.mark.parametrize("size", SIZES)
async def test_round_trip_is_byte_exact(sites: Sites, http: aiohttp.ClientSession, size: int) -> None:
    data = os.urandom(size)
    reporter = Reporter(http, sites.reporter_url)
    status, page = await submit_with_files(reporter, [("evidence.bin", data)])
    assert status == 200, page
    assert "1 file was received" in page
    alice = await enrol(sites, "alice", "kent-police")
    [opened] = await unit_files(sites, alice, await report_of(sites, receipt_in(page)))
    assert opened.meta.name == "evidence.bin" and opened.meta.size == size
    assert await read_all(opened) == data
    on_disk = stored_files(sites.settings.data_dir)
    assert [p.name for p in on_disk] == [opened.row.id]
    assert on_disk[0].stat().st_size == opened.row.stored_bytes >= size


async def test_several_files_keep_their_names_and_order(sites: Sites, http: aiohttp.ClientSession) -> None:
    files = [("a.txt", b"first"), ("b ünï.pdf", b"%PDF-1.4 second"), ("c.jpg", b"\xff\xd8\xff third")]
    status, page = await submit_with_files(Reporter(http, sites.reporter_url), files)
    assert status == 200 and "3 files were received" in page
    alice = await enrol(sites, "alice", "kent-police")
    opened = await unit_files(sites, alice, await report_of(sites, receipt_in(page)))
    assert [(o.meta.name, o.meta.kind) for o in opened] == [
        ("a.txt", ""),
        ("b ünï.pdf", "pdf"),
        ("c.jpg", "jpeg"),
    ]
    assert [await read_all(o) for o in opened] == [d for _, d in files]


async def test_empty_file_input_sends_no_file(sites: Sites, http: aiohttp.ClientSession) -> None:
    status, page = await submit_with_files(Reporter(http, sites.reporter_url), [("", b"")])
    assert status == 200 and "received and encrypted" not in page
    assert stored_files(sites.settings.data_dir) == []


async def test_tampered_byte_fails_with_a_clear_error(sites: Sites, http: aiohttp.ClientSession) -> None:
    data = os.urandom(3 * FILE_RECORD_PLAIN)
    status, page = await submit_with_files(Reporter(http, sites.reporter_url), [("x.bin", data)])
    assert status == 200
    alice = await enrol(sites, "alice", "kent-police")
    [opened] = await unit_files(sites, alice, await report_of(sites, receipt_in(page)))
    raw = bytearray(opened.path.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    opened.path.write_bytes(bytes(raw))
    got = bytearray()
    with pytest.raises(FileDamaged, match="damaged or altered"):
        async for chunk in __import__("dropbox_server.files.download", fromlist=["x"]).plaintext_chunks(
            opened
        ):
            got += chunk
    assert len(got) < len(data) and bytes(got) == data[: len(got)]


async def test_follow_up_with_files_only(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    receipt = await reporter.submit_ok()
    await reporter.open_thread(receipt)
    status, page = await follow_up_with_files(reporter, "", [("later.png", b"\x89PNG\r\n\x1a\nmore")])
    assert status == 200 and "1 file was sent with it" in page
    report = await report_of(sites, receipt)
    rows = await file_store.files_of_report(sites.services.db, report.seq)
    assert [r.item_kind for r in rows] == ["reporter_message"]
    alice = await enrol(sites, "alice", "kent-police")
    [opened] = await unit_files(sites, alice, report)
    assert await read_all(opened) == b"\x89PNG\r\n\x1a\nmore"


async def test_follow_up_needs_a_message_or_a_file(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    await reporter.open_thread(await reporter.submit_ok())
    status, page = await follow_up_with_files(reporter, "  ", [])
    assert status == 400 and "Write a message or attach a file" in page


async def test_bad_csrf_keeps_text_but_no_file(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    await reporter.get("/report")
    from tests.files.uploads import form_with_files
    from tests.journeys import report_fields

    fields = report_fields(what_happened="kept text") | {"csrf_token": "forged"}
    form = form_with_files(fields, [("x.bin", b"secret bytes")])
    async with http.post(sites.reporter_url + "/report", data=form) as resp:
        page = await resp.text()
        assert resp.status == 403
    assert "kept text" in page and "files you attached were not kept" in page
    assert stored_files(sites.settings.data_dir) == []
