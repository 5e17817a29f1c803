"""Requests aiohttp refuses before any application code runs still get our page and headers.

A bad request line, an impossible Content-Length or an oversized header used to get
aiohttp's own plain-text 400: no security headers, `Server: Python/... aiohttp/...`, the
request bytes echoed back, and a full traceback (quoting them) in the log.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from dropbox_server.web.middlewares import SECURITY_HEADERS
from tests.conftest import Sites

MARKER = b"Zq7MarkerFromTheRequest"

BAD_REQUESTS = {
    "bad request line": b"GET /" + MARKER + b" HTTP/1.1 and more\r\nHost: x\r\n\r\n",
    "bad method": b"G<T>" + MARKER + b" / HTTP/1.1\r\nHost: x\r\n\r\n",
    "20-digit Content-Length": b"POST /report HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n"
    b"X-Note: " + MARKER + b"\r\n\r\n",
    "20 kB header": b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + MARKER * 900 + b"\r\n\r\n",
    "header without a colon": b"GET / HTTP/1.1\r\nHost: x\r\n" + MARKER + b"\r\n\r\n",
}


async def raw_exchange(base: str, request: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()


def parse(reply: bytes) -> tuple[int, dict[str, str], str]:
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body.decode("utf-8", "replace")


@pytest.mark.parametrize("site", ["reporter", "investigator"])
@pytest.mark.parametrize("name", list(BAD_REQUESTS))
async def test_protocol_errors_get_our_page_and_headers(
    sites: Sites, caplog: pytest.LogCaptureFixture, site: str, name: str
) -> None:
    caplog.set_level(logging.DEBUG)
    base = sites.reporter_url if site == "reporter" else sites.investigator_url
    reply = await raw_exchange(base, BAD_REQUESTS[name])
    status, headers, body = parse(reply)
    assert 400 <= status < 500, (name, reply[:300])
    for header, value in SECURITY_HEADERS.items():
        assert headers.get(header.lower()) == value, (name, header)
    assert "server" not in headers, headers.get("server")
    assert "text/html" in headers["content-type"]
    assert "<h1>" in body and "Go to the home page" in body
    assert MARKER not in reply
    for record in caplog.records:
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        assert MARKER.decode() not in text, (name, record.name)
        assert "Traceback" not in text, (name, record.name)


async def test_ordinary_requests_still_work_after_a_protocol_error(sites: Sites) -> None:
    await raw_exchange(sites.reporter_url, BAD_REQUESTS["bad request line"])
    reply = await raw_exchange(sites.reporter_url, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, headers, _ = parse(reply)
    assert status == 200 and "server" not in headers
