"""Reaching onions through a client tor's SOCKS port, with bounded retries."""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp
from aiohttp_socks import ProxyConnector, ProxyError

# Tor's ExtendedErrors SOCKS replies.
DESCRIPTOR_NOT_FOUND = 0xF0
CLIENT_AUTH_MISSING = 0xF4
CLIENT_AUTH_WRONG = 0xF5
# Transient while a fresh service's introduction points settle.
_RETRY = {DESCRIPTOR_NOT_FOUND, 0xF2, 0xF3, 0xF6, 0x06, 0x01}


def socks_reply_code(exc: ProxyError) -> int | None:
    """The SOCKS reply code of a failure (python-socks names only the RFC 1928 ones)."""
    if exc.error_code is not None:
        return int(exc.error_code)
    match = re.search(r"reply code: 0X([0-9A-F]{2})", str(exc), re.I)
    return int(match.group(1), 16) if match else None


def onion_session(socks_port: int) -> aiohttp.ClientSession:
    """An HTTP client whose every connection goes through tor (names resolved by tor)."""
    connector = ProxyConnector.from_url(f"socks5://127.0.0.1:{socks_port}", rdns=True)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True))


async def get_through_tor(socks_port: int, url: str, timeout: float = 60.0) -> tuple[int, str]:
    """GET url over tor, retrying transient onion errors until timeout.

    Raises ProxyError at once for client-auth failures, so tests can assert them.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            async with onion_session(socks_port) as session, session.get(
                url, timeout=aiohttp.ClientTimeout(total=30)
            ) as resp:
                return resp.status, await resp.text()
        except ProxyError as exc:
            if socks_reply_code(exc) not in _RETRY or time.monotonic() > deadline:
                raise
        except (TimeoutError, aiohttp.ClientError):
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.5)
