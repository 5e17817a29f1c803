"""Uploads are admitted before a byte is written: CSRF token, throttle, uploads at once, hourly bytes.

Before: files were streamed to disk before the token and the throttle were checked (three
posts with a bad token and 300 MiB each wrote 912 MiB before their 403s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import TypeVar

import aiohttp
import pytest
from yarl import URL

from dropbox_server.config import ThrottleSettings, UploadLimits
from dropbox_server.web.reporter.presession import PRESESSION_COOKIE
from tests.conftest import Sites, reporter_site
from tests.files.uploads import stored_files, submit_with_files
from tests.journeys import Reporter, csrf_from, report_fields
from tests.leakcheck import remember_fields

MIB = 1024 * 1024
BOUNDARY = "admissionTest9"
T = TypeVar("T")


class DiskWatch:
    """Samples the most bytes under files/ while something runs (tmp/ included)."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.peak = 0

    async def during(self, work: Awaitable[T]) -> T:
        task = asyncio.ensure_future(work)
        while not task.done():
            self.peak = max(self.peak, sum(p.stat().st_size for p in stored_files(self.data_dir) if p.exists()))
            await asyncio.sleep(0.005)
        return task.result()


def body_head(token: str, fields: dict[str, str] | None = None) -> bytes:
    values = {"csrf_token": token, **(fields if fields is not None else report_fields())}
    out = bytearray()
    for name, value in values.items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    out += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return bytes(out)


BODY_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


async def post_streamed(base: str, path: str, head: bytes, size: int, cookie: str = "") -> tuple[int, str]:
    """POST a multipart body whose single file is `size` bytes, sent in 1 MiB writes."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    length = len(head) + size + len(BODY_TAIL)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n{cookie}"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n".encode()
        + head
    )
    chunk = os.urandom(MIB)
    sent = 0
    with contextlib.suppress(ConnectionError):
        while sent < size:
            writer.write(chunk[: min(MIB, size - sent)])
            sent += min(MIB, size - sent)
            await writer.drain()
        writer.write(BODY_TAIL)
        await writer.drain()
    reply = await asyncio.wait_for(reader.read(), timeout=60)
    writer.close()
    head_bytes, _, page = reply.partition(b"\r\n\r\n")
    return int(head_bytes.split(b" ")[1]), page.decode("utf-8", "replace")


async def fresh_token(base: str) -> tuple[str, str]:
    """A report form's token and the pre-session cookie it is bound to, as a header line."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        _, page = await Reporter(http, base).get("/report")
        cookie = http.cookie_jar.filter_cookies(URL(base))[PRESESSION_COOKIE].value
    return csrf_from(page), f"Cookie: {PRESESSION_COOKIE}={cookie}\r\n"


async def receipt_after(base: str, reply: bytes, cookie: str) -> str:
    """The receipt page a report's 303 leads to, fetched with the form's pre-session cookie."""
    head, _, _ = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 303"), head[:200]
    lines = head.split(b"\r\n")
    [location] = [line.split(b":", 1)[1].strip() for line in lines if line.lower().startswith(b"location:")]
    name, _, value = cookie.removeprefix("Cookie: ").strip().partition("=")
    async with (
        aiohttp.ClientSession(cookies={name: value}) as http,
        http.get(base + location.decode()) as response,
    ):
        assert response.status == 200
        return await response.text()


def _browser() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_bad_token_writes_no_file_byte(sites: Sites) -> None:
    watch = DiskWatch(sites.settings.data_dir)
    _, cookie = await fresh_token(sites.reporter_url)  # our own browser, a forged token
    status, page = await watch.during(
        post_streamed(sites.reporter_url, "/report", body_head("forged-token"), 40 * MIB, cookie)
    )
    assert status == 403, page[:300]
    assert watch.peak == 0, f"{watch.peak} bytes were written before the refusal"
    assert "files you attached were not kept" in page
    assert "An officer took money" in page  # what was typed comes back


async def test_missing_token_before_the_file_writes_nothing(sites: Sites) -> None:
    fields = report_fields()
    remember_fields(fields)
    watch = DiskWatch(sites.settings.data_dir)
    status, _ = await watch.during(
        post_streamed(sites.reporter_url, "/report", body_head("", fields), 8 * MIB)
    )
    assert status == 403 and watch.peak == 0


@pytest.fixture
async def throttled_site(tmp_path: Path) -> AsyncIterator[Sites]:
    throttle = ThrottleSettings(submissions_per_second=0.0001, submission_burst=1)
    async with reporter_site(tmp_path, throttle=throttle) as sites:
        yield sites


async def test_throttle_is_taken_before_any_file_is_written(throttled_site: Sites) -> None:
    async with _browser() as http:
        status, _ = await submit_with_files(Reporter(http, throttled_site.reporter_url), [])
    assert status == 200
    watch = DiskWatch(throttled_site.settings.data_dir)
    token, cookie = await fresh_token(throttled_site.reporter_url)
    status, page = await watch.during(
        post_streamed(throttled_site.reporter_url, "/report", body_head(token), 20 * MIB, cookie)
    )
    assert status == 429, page[:300]
    assert watch.peak == 0
    assert "An officer took money" in page and "files you attached were not kept" in page


@pytest.fixture
async def one_at_a_time(tmp_path: Path) -> AsyncIterator[Sites]:
    async with reporter_site(tmp_path, uploads=UploadLimits(concurrent_uploads=1)) as sites:
        yield sites


async def test_uploads_at_once_are_capped(one_at_a_time: Sites) -> None:
    base = one_at_a_time.reporter_url
    host, port = base.removeprefix("http://").split(":")
    token, cookie = await fresh_token(base)
    head = body_head(token)
    size = 4 * MIB
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST /report HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{cookie}Content-Type: multipart/form-data; "
        f"boundary={BOUNDARY}\r\nContent-Length: {len(head) + size + len(BODY_TAIL)}\r\n\r\n".encode()
        + head + os.urandom(MIB)
    )
    await writer.drain()
    tmp = one_at_a_time.settings.files_dir / "tmp"
    for _ in range(2000):  # until the first upload holds its slot (its file exists)
        if tmp.exists() and any(tmp.iterdir()):
            break
        await asyncio.sleep(0.01)
    async with _browser() as http:
        status, page = await submit_with_files(Reporter(http, base), [("second.bin", b"x" * 1000)])
    assert status == 503, page[:300]
    assert "The service is busy" in page and "files you attached were not kept" in page
    writer.write(os.urandom(size - MIB) + BODY_TAIL)
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), timeout=60)
    writer.close()
    assert "1 file was received" in await receipt_after(base, reply, cookie)
    assert len(stored_files(one_at_a_time.settings.data_dir)) == 1


@pytest.fixture
async def small_budget(tmp_path: Path) -> AsyncIterator[Sites]:
    async with reporter_site(tmp_path, uploads=UploadLimits(bytes_per_hour=3 * MIB)) as sites:
        yield sites


async def test_bytes_per_hour_are_capped_across_the_site(small_budget: Sites) -> None:
    base = small_budget.reporter_url
    token, cookie = await fresh_token(base)
    status, page = await post_streamed(base, "/report", body_head(token), 2 * MIB, cookie)
    assert status == 303, page[:300]
    watch = DiskWatch(small_budget.settings.data_dir)
    before = watch.peak = sum(p.stat().st_size for p in stored_files(small_budget.settings.data_dir))
    token, cookie = await fresh_token(base)
    status, page = await watch.during(post_streamed(base, "/report", body_head(token), 2 * MIB, cookie))
    assert status == 503, page[:300]
    assert "files you attached were not kept" in page
    assert watch.peak <= before + MIB + 64 * 1024  # at most the first MiB was written, then removed
    after = sum(p.stat().st_size for p in stored_files(small_budget.settings.data_dir))
    assert after == before
