"""An investigator driven over HTTP, and a clock the tests move by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

import aiohttp
import pyotp

from dropbox_server.store import Database
from tests.journeys import csrf_from

_REPORT_LINK = re.compile(r'<a href="/reports/([a-z0-9]+)">')


@dataclass
class FakeClock:
    """Monotonic and wall time that move only when a test says so."""

    now: float = 1_900_000_000.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Investigator:
    """One investigator's browser with its own cookie jar."""

    http: aiohttp.ClientSession
    base: str
    username: str
    password: str
    secret: str
    clock: FakeClock
    last_page: str = field(default="", repr=False)

    def code(self, offset_steps: int = 0) -> str:
        return pyotp.TOTP(self.secret).at(self.clock.wall() + 30 * offset_steps)

    async def get(self, path: str, *, follow: bool = True) -> tuple[int, str]:
        async with self.http.get(self.base + path, allow_redirects=follow) as resp:
            text = await resp.text()
            self.last_page = text
            return resp.status, text

    async def sign_in_with(self, username: str, password: str, code: str) -> tuple[int, str]:
        _, page = await self.get("/sign-in")
        data = {"username": username, "password": password, "code": code, "csrf_token": csrf_from(page)}
        async with self.http.post(self.base + "/sign-in", data=data, allow_redirects=False) as resp:
            body = await resp.text()
            if resp.status == 303:
                return resp.status, resp.headers["Location"]
            return resp.status, body

    async def sign_in(self, code: str | None = None) -> None:
        status, where = await self.sign_in_with(self.username, self.password, code or self.code())
        assert status == 303 and where in ("/inbox", "/intake", "/health"), (status, where[:2000])

    async def post(self, path: str, data: dict[str, str], *, csrf_page: str | None = None) -> tuple[int, str]:
        """POST a form with the CSRF token of `csrf_page` (default: the page last seen)."""
        form = dict(data)
        form.setdefault("csrf_token", csrf_from(csrf_page or self.last_page))
        async with self.http.post(self.base + path, data=form, allow_redirects=False) as resp:
            body = await resp.text()
            if resp.status == 303:
                return resp.status, resp.headers["Location"]
            return resp.status, body

    async def open_report(self, report_id: str) -> str:
        status, page = await self.get(f"/reports/{report_id}")
        assert status == 200, (status, page[:2000])
        return page

    async def act(self, report_id: str, action: str, data: dict[str, str]) -> tuple[int, str]:
        page = await self.open_report(report_id)
        return await self.post(f"/reports/{report_id}/{action}", data, csrf_page=page)

    async def sign_out(self) -> tuple[int, str]:
        _, page = await self.get("/inbox")
        return await self.post("/sign-out", {}, csrf_page=page)


def report_ids(page: str) -> list[str]:
    """Report ids linked from an inbox page, in the order shown."""
    return _REPORT_LINK.findall(page)


def text_of(page: str) -> str:
    """Page text with tags removed and entities decoded (for 'is this shown' checks)."""
    return unescape(re.sub(r"<[^>]+>", " ", page))


async def inbox_order(db: Database, unit_id: str) -> list[str]:
    """A unit's report ids in the inbox's order: newest day first, then by the random row key
    (the database keeps no finer order; see migration 0006)."""
    rows = await db.fetch_all(
        "SELECT id FROM reports WHERE unit_id = ? ORDER BY created_day DESC, seq DESC", (unit_id,)
    )
    return [str(r[0]) for r in rows]
