"""The staff site served in-process on 127.0.0.1 over a bench's loaded data directory.

The inbox, search and desk benchmarks share it: their arguments, the kept-or-temporary data
directory, the served app, signing in and timing a GET.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import aiohttp.web

from bench import custodian_keys
from bench.timing import timed
from dropbox_server import totp
from dropbox_server.app import create_investigator_app
from dropbox_server.config import Settings
from dropbox_server.services import open_services
from dropbox_server.web.appkeys import Services
from receipt_codes import KdfParams

CHEAP = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
PASSWORD = "bench-password-cobalt-fjord"  # strong enough for the redemption check


def bench_arguments(doc: str | None) -> argparse.ArgumentParser:
    """--reports, --runs and --data-dir, which every loaded-data benchmark takes."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, help="keep the loaded data here and reuse it next time")
    return parser


@dataclass(frozen=True)
class Loaded:
    settings: Settings
    services: Services
    fresh: bool  # made now: the caller loads its data


@asynccontextmanager
async def data_directory(kept: Path | None, routing: str) -> AsyncIterator[Loaded]:
    """The kept data directory (made on first use) or a temporary one, opened."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.for_data_dir(kept or Path(tmp) / "data", receipt_kdf=CHEAP, password_kdf=CHEAP)
        fresh = not settings.database_path.exists()
        if fresh:
            await custodian_keys.init_with_shares(settings, routing=routing)
        async with open_services(settings) as services:
            yield Loaded(settings, services, fresh)


@asynccontextmanager
async def staff_site(settings: Settings, services: Services) -> AsyncIterator[str]:
    """The investigator app on a free 127.0.0.1 port; yields its base URL."""
    runner = aiohttp.web.AppRunner(
        create_investigator_app(settings, services), access_log=None, handle_signals=False
    )
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def staff_client() -> aiohttp.ClientSession:
    """A client that keeps the site's cookies (the session and its CSRF binding) on 127.0.0.1."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(http: aiohttp.ClientSession, base: str, username: str, secret: str) -> None:
    async with http.get(base + "/sign-in") as resp:
        page = await resp.text()
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    # The next time-step's code (within the allowed drift): enrolment spent the current one,
    # so a sign-in right after it with that code is refused as a replay.
    code = totp.code_at_step(secret, totp.current_step(time.time()) + 1)
    data = {"username": username, "password": PASSWORD, "code": code, "csrf_token": token}
    async with http.post(base + "/sign-in", data=data, allow_redirects=False) as resp:
        assert resp.status == 303, resp.status


async def timed_get(http: aiohttp.ClientSession, url: str, runs: int) -> list[float]:
    """Milliseconds for each GET of url (each must answer 200), read to the end."""

    async def get() -> None:
        async with http.get(url) as resp:
            assert resp.status == 200, (url, resp.status)
            await resp.read()

    return await timed(get, runs)
