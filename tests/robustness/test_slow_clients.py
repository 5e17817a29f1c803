"""Slow-loris style uploads are abandoned after the idle limit, leaving nothing behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dropbox_server.config import FormLimits
from tests.conftest import Sites, reporter_site
from tests.journeys import Reporter, csrf_from

IDLE = 1.0


@pytest.fixture
async def impatient_site(tmp_path: Path) -> AsyncIterator[Sites]:
    async with reporter_site(tmp_path, limits=FormLimits(body_idle_seconds=IDLE)) as sites:
        yield sites


async def send_and_stall(base: str, path: str, body_start: bytes, declared: int) -> bytes:
    """Send headers and the start of a multipart body, then nothing; return the reply."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary=slowloris\r\nContent-Length: {declared}\r\n\r\n"
    )
    writer.write(head.encode() + body_start)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(65536), timeout=IDLE * 10)
    finally:
        writer.close()


async def test_stalled_upload_gets_408_and_leaves_nothing(impatient_site: Sites) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        _, page = await Reporter(http, impatient_site.reporter_url).get("/report")
    start = (
        b'--slowloris\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + csrf_from(page).encode()
        + b'\r\n--slowloris\r\nContent-Disposition: form-data; name="files"; filename="evidence.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + b"\xff" * 300_000
    )
    reply = await send_and_stall(impatient_site.reporter_url, "/report", start, declared=5_000_000)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert b"stopped arriving" in reply
    files_dir = impatient_site.settings.files_dir
    leftovers = [p for p in files_dir.rglob("*") if p.is_file()]
    assert leftovers == []
    row = await impatient_site.services.db.fetch_one("SELECT count(*) FROM reports")
    assert row is not None and row[0] == 0


async def test_stalled_text_form_gets_408(impatient_site: Sites) -> None:
    reply = await send_and_stall(
        impatient_site.reporter_url,
        "/check",
        b'--slowloris\r\nContent-Disposition: form-data; name="rec',
        400,
    )
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
