"""Half-open connections: a header timeout, a connection cap, and a descriptor limit that fits."""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dropbox_server.app import create_reporter_app
from dropbox_server.config import ConnectionLimits
from dropbox_server.web.fd_limit import caps_under
from tests.conftest import Sites, _start, reporter_site

TIMEOUT = 1.0


@pytest.fixture
async def strict_site(tmp_path: Path) -> AsyncIterator[Sites]:
    async with reporter_site(tmp_path, connections=ConnectionLimits(header_timeout_seconds=TIMEOUT)) as sites:
        yield sites


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), timeout=within) == b""
    except (TimeoutError, ConnectionError):
        return False


def address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


async def test_unfinished_headers_are_cut_off(strict_site: Sites) -> None:
    reader, writer = await asyncio.open_connection(*address(strict_site.reporter_url))
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    await writer.drain()
    # aiohttp's default kept such a connection for an hour (3,630 s).
    assert await closed_by_server(reader, within=TIMEOUT * 10)
    writer.close()


async def test_silent_connections_are_cut_off(strict_site: Sites) -> None:
    reader, writer = await asyncio.open_connection(*address(strict_site.reporter_url))
    assert await closed_by_server(reader, within=TIMEOUT * 10)
    writer.close()


async def test_connections_beyond_the_cap_are_closed_at_once(tmp_path: Path) -> None:
    async with reporter_site(tmp_path) as sites:
        runner, base = await _start(create_reporter_app(sites.settings, sites.services), max_connections=3)
        try:
            idle = [await asyncio.open_connection(*address(base)) for _ in range(3)]
            await asyncio.sleep(0.1)  # let the server accept them
            reader, writer = await asyncio.open_connection(*address(base))
            assert await closed_by_server(reader, within=5)
            writer.close()
            for _, w in idle:
                w.close()
            await asyncio.sleep(0.2)
            reader, writer = await asyncio.open_connection(*address(base))
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert (await asyncio.wait_for(reader.read(), 10)).startswith(b"HTTP/1.1 200")
            writer.close()
        finally:
            await runner.cleanup()


def test_caps_fit_under_the_descriptor_limit() -> None:
    limits = ConnectionLimits(reporter_connections=4096, investigator_connections=256, reserved_fds=512)
    assert caps_under(100_000, limits).reporter == 4096
    small = caps_under(1024, limits)
    assert small.reporter + small.investigator + limits.reserved_fds <= 1024
    assert small.investigator >= 16 and small.reporter >= 16


def test_soft_limit_is_raised_at_start() -> None:
    """In a child whose soft limit is the common 1,024, the limit is raised to what the caps need."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 5000:
        pytest.skip(f"the hard descriptor limit here is {hard}; nothing to raise to")
    code = (
        "import resource;"
        "from dropbox_server.config import ConnectionLimits;"
        "from dropbox_server.web.fd_limit import fit_file_descriptors;"
        "caps = fit_file_descriptors(ConnectionLimits());"
        "print(caps.reporter, caps.investigator, resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard)),
    ).stdout.split()
    assert [int(x) for x in out] == [4096, 256, 4096 + 256 + 512]
