"""Refused, broken and interrupted uploads keep nothing; a restart sweeps what a crash left."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import aiohttp
import pytest

from dropbox_server.config import FileLimits, FormLimits, Settings
from dropbox_server.services import open_services
from dropbox_server.store import files as file_store
from tests.conftest import Sites
from tests.files.test_upload_admission import fresh_token
from tests.files.uploads import stored_files, submit_with_files
from tests.journeys import Reporter, report_fields

SMALL = FileLimits(file_bytes=200_000, submission_bytes=300_000, files_per_submission=3)
CUT_SHORT = FileLimits(file_bytes=8_000_000, submission_bytes=8_000_000, files_per_submission=3)


@pytest.fixture
def settings_files() -> FileLimits:
    return SMALL


@pytest.fixture
def settings(tmp_path: Path, settings_files: FileLimits) -> Settings:
    """Small limits passed explicitly, so refusals are quick to reach."""
    from tests.conftest import CHEAP_KDF

    return Settings.for_data_dir(
        tmp_path / "data",
        receipt_kdf=CHEAP_KDF,
        password_kdf=CHEAP_KDF,
        files=settings_files,
        limits=FormLimits(form_body_bytes=100_000),
    )


async def report_count(sites: Sites) -> int:
    row = await sites.services.db.fetch_one("SELECT count(*) FROM reports")
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ([("big.bin", os.urandom(200_001))], "Each file can be up to"),
        ([("a", os.urandom(150_000)), ("b", os.urandom(150_001))], "All the files together"),
        ([(f"f{n}", b"x") for n in range(4)], "up to 3 files at a time"),
    ],
    ids=["per-file", "per-submission", "count"],
)
async def test_over_a_limit_is_413_and_keeps_nothing(
    sites: Sites, http: aiohttp.ClientSession, files: list[tuple[str, bytes]], words: str
) -> None:
    status, page = await submit_with_files(Reporter(http, sites.reporter_url), files)
    assert status == 413
    assert words in page and "Nothing was kept" in page
    assert stored_files(sites.settings.data_dir) == []
    assert await report_count(sites) == 0


async def test_exactly_at_the_limits_is_accepted(sites: Sites, http: aiohttp.ClientSession) -> None:
    files = [("a", os.urandom(200_000)), ("b", os.urandom(100_000)), ("c", b"")]
    status, _ = await submit_with_files(Reporter(http, sites.reporter_url), files)
    assert status == 200
    assert len(stored_files(sites.settings.data_dir)) == 3


async def test_declared_length_over_the_cap_is_refused_unread(sites: Sites) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", int(sites.reporter_url.rsplit(":", 1)[1]))
    writer.write(
        b"POST /report HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        b"Content-Length: 999999999999\r\n\r\n"
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert b" 413 " in head
    assert stored_files(sites.settings.data_dir) == []


async def test_text_fields_keep_their_own_cap(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    status, page = await submit_with_files(
        reporter, [("a", b"small")], what_happened="x" * (sites.settings.limits.form_body_bytes + 1)
    )
    assert status == 413 and "text you typed is longer" in page
    assert stored_files(sites.settings.data_dir) == []


async def _half_a_body_then_close(sites: Sites, total_file: int) -> None:
    """Send the headers and half a multipart body by hand, wait until a temp file exists, close."""
    # Files are written only once the form's token is good, and a token is good only with the
    # pre-session cookie of the browser it was issued to.
    token, cookie = await fresh_token(sites.reporter_url)
    boundary = "cutShortBoundary"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in (report_fields() | {"csrf_token": token}).items()
    )
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="cut.bin"\r\n'
    head += "Content-Type: application/octet-stream\r\n\r\n"
    body_length = len(head) + total_file + len(f"\r\n--{boundary}--\r\n")
    port = int(sites.reporter_url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        sock.sendall(
            f"POST /report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {body_length}\r\n{cookie}"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n".encode()
            + head.encode()
            + os.urandom(total_file // 2)
        )
        tmp = sites.settings.files_dir / "tmp"
        for _ in range(200):
            if tmp.exists() and any(tmp.iterdir()):
                break
            await asyncio.sleep(0.02)
        assert tmp.exists() and any(tmp.iterdir()), "the upload never reached the disk"
    finally:
        sock.close()


async def _wait_until_empty(sites: Sites) -> list[Path]:
    for _ in range(250):
        left = stored_files(sites.settings.data_dir)
        if not left:
            return left
        await asyncio.sleep(0.02)
    return stored_files(sites.settings.data_dir)


@pytest.mark.parametrize("settings_files", [CUT_SHORT])
async def test_client_disconnecting_half_way_leaves_nothing(
    sites: Sites, caplog: pytest.LogCaptureFixture
) -> None:
    await _half_a_body_then_close(sites, 6_000_000)
    assert await _wait_until_empty(sites) == []
    assert await report_count(sites) == 0
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_start_up_sweeps_temp_and_unreferenced_files(sites: Sites, http: aiohttp.ClientSession) -> None:
    status, _ = await submit_with_files(Reporter(http, sites.reporter_url), [("kept", b"evidence")])
    assert status == 200
    [kept] = await file_store.referenced_file_ids(sites.services.db)
    files_dir = sites.settings.files_dir
    (files_dir / "tmp" / ("a" * 32)).write_bytes(b"cut short")
    (files_dir / ("b" * 32)).write_bytes(b"renamed, never committed")
    (files_dir / "stray").write_bytes(b"not ours")
    async with open_services(sites.settings):
        pass
    assert [p.name for p in stored_files(sites.settings.data_dir)] == [kept]
    assert (files_dir / "tmp").is_dir()
