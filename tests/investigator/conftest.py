"""Fixtures for the investigator site: both sites with an injected clock, staff enrolment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from dropbox_server.app import create_investigator_app, create_reporter_app
from dropbox_server.clock import Clocks, today
from dropbox_server.config import Settings
from dropbox_server.reports.content import ContactDetails, ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submission import submit_report
from dropbox_server.web.appkeys import Services
from tests.conftest import _start, enrol_member
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
        password = f"pw-{username}-long-enough"
        enrolment = await enrol_member(db, username=username, unit_id=unit, role=role, password=password)
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


async def submit(
    ws: Workspace,
    *,
    force: str = "kent-police",
    conduct: str = "corruption",
    what_happened: str = "An officer took money to drop a case.",
    contact: ContactDetails | None = None,
    channel: str = "online",
    **fields: Any,
) -> tuple[str, str]:
    """Store a report through the real submit use case; returns (receipt, report id)."""
    content = ReportContent(force=force, conduct=conduct, what_happened=what_happened, **fields)
    services = ws.services
    receipt = await submit_report(services.db, services.receipts, content, contact, channel, today())
    access = await open_with_receipt(services.db, services.receipts, receipt)
    assert access is not None
    return receipt, access.report_id
