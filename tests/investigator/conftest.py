"""Fixtures for the investigator site: both sites with an injected clock, staff enrolment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest

from dropbox_server import staff_auth
from dropbox_server.app import create_investigator_app, create_reporter_app
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.investigator.context import Clocks
from dropbox_server.keyring import unlock_custodian
from dropbox_server.services import Services
from tests.conftest import CHEAP_KDF, CUSTODIAN_PASSPHRASE, _start
from tests.investigator.driver import FakeClock, Investigator


@dataclass
class Workspace:
    reporter_url: str
    investigator_url: str
    settings: Settings
    services: Services
    clock: FakeClock
    sessions: list[aiohttp.ClientSession]

    async def enrol(self, username: str, unit: str, role: str = "investigator") -> Investigator:
        """Enrol a member of staff the way `keys add-investigator` does, and open a browser."""
        db = self.services.db
        custodian = await unlock_custodian(db, CUSTODIAN_PASSPHRASE)
        password = f"pw-{username}-long-enough"
        enrolment = await staff_auth.enrol_staff(
            db,
            username=username,
            unit_id=unit,
            role=role,
            password=password,
            custodian_private=custodian,
            kdf=CHEAP_KDF,
            day=today(),
        )
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.sessions.append(http)
        return Investigator(
            http, self.investigator_url, username, password, enrolment.totp_secret, self.clock
        )

    async def signed_in(self, username: str, unit: str, role: str = "investigator") -> Investigator:
        who = await self.enrol(username, unit, role)
        await who.sign_in()
        return who


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@asynccontextmanager
async def running_workspace(
    settings: Settings, services: Services, clock: FakeClock
) -> AsyncIterator[Workspace]:
    """Both sites for `settings` (which a test may change), the investigator's on `clock`."""
    reporter_runner, reporter_url = await _start(create_reporter_app(settings, services))
    app = create_investigator_app(
        settings, services, clocks=Clocks(monotonic=clock.monotonic, wall=clock.wall)
    )
    investigator_runner, investigator_url = await _start(app)
    ws = Workspace(reporter_url, investigator_url, settings, services, clock, [])
    try:
        yield ws
    finally:
        for http in ws.sessions:
            await http.close()
        await reporter_runner.cleanup()
        await investigator_runner.cleanup()


@pytest.fixture
async def workspace(settings: Settings, services: Services, clock: FakeClock) -> AsyncIterator[Workspace]:
    async with running_workspace(settings, services, clock) as ws:
        yield ws
