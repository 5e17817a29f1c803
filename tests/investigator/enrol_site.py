"""The newcomer's side of enrolment driven over HTTP: the staff site's /enrol pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

import aiohttp
import pyotp

from tests.investigator.driver import FakeClock
from tests.journeys import csrf_from

_SECRET = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')
_FINGERPRINT = re.compile(r'<code class="fingerprint">([0-9A-F ]+)</code>')


@dataclass
class SiteEnrolment:
    """What the newcomer's browser ends with: the last status and page, and what it showed them."""

    status: int
    page: str
    totp_secret: str = ""
    fingerprint: str = ""


async def enrol_on_site(
    http: aiohttp.ClientSession, base: str, clock: FakeClock, code: str, password: str, *, again: str | None = None
) -> SiteEnrolment:
    """Type the code, then the password twice and a code from the authenticator the page shows."""
    async with http.get(base + "/enrol") as resp:
        page = await resp.text()
    data = {"code": code, "csrf_token": csrf_from(page)}
    async with http.post(base + "/enrol", data=data, allow_redirects=False) as resp:
        if resp.status != 303:
            return SiteEnrolment(resp.status, await resp.text())
    async with http.get(base + "/enrol/account") as resp:
        page = await resp.text()
    found = _SECRET.search(page)
    assert found, page[:2000]
    secret = found.group(1)
    data = {
        "password": password,
        "password_again": password if again is None else again,
        "code": pyotp.TOTP(secret).at(clock.wall()),
        "csrf_token": csrf_from(page),
    }
    async with http.post(base + "/enrol/account", data=data, allow_redirects=False) as resp:
        page = await resp.text()
        status = resp.status
    shown = _FINGERPRINT.search(page)
    return SiteEnrolment(status, page, secret, shown.group(1) if shown else "")
