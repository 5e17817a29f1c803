"""Anonymous load cannot lock staff out: staff have their own argon2id pool.

Deterministic: the receipt pool is held busy by a derivation that waits on an event (a real
job in the real pool, standing in for a slow argon2id run) and its queue is filled with
wrong receipts sent over HTTP; a member of staff then signs in while all of that is still
waiting. Nothing here measures time.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import aiohttp
import pytest

from dropbox_server.app import create_investigator_app, create_reporter_app
from dropbox_server.config import Settings, ThrottleSettings
from dropbox_server.kdf import KdfRunner
from dropbox_server.services import open_services
from dropbox_server.web.appkeys import CALLER_RECEIPT_THROTTLE, RECEIPT_THROTTLE, Services
from receipt_codes import generate_receipt
from tests.conftest import _start
from tests.investigator.conftest import Workspace, running_workspace
from tests.investigator.driver import FakeClock
from tests.journeys import csrf_from

WAITING = 4


@pytest.fixture
async def flooded_pool_workspace(
    settings: Settings, services: Services, clock: FakeClock
) -> AsyncIterator[Workspace]:
    # One receipt worker and a short queue, and a throttle wide open: the pool is the limit.
    throttle = ThrottleSettings(
        receipt_checks_per_second=1000.0, receipt_check_burst=1000, max_waiting_kdf=WAITING
    )
    del services  # opened with the default pool sizes; this test opens its own
    small = settings.with_changes(kdf_workers=1, throttle=throttle)
    async with open_services(small) as opened, running_workspace(small, opened, clock) as ws:
        yield ws


async def _wrong_receipt(base: str) -> int:
    # Keeps the form's pre-session cookie, as a browser does: the token is bound to it, and
    # without it every check is refused (403) before it reaches the pool.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(base + "/check") as resp:
            page = await resp.text()
        data = {"receipt": generate_receipt(), "csrf_token": csrf_from(page)}
        async with http.post(base + "/check", data=data, allow_redirects=False) as resp:
            await resp.read()
            return resp.status


async def _until(condition: object) -> None:
    while not condition():  # type: ignore[operator]
        await asyncio.sleep(0.01)


async def _until_queued(pool: KdfRunner, flood: list[asyncio.Future[int]]) -> None:
    """Until the queue is full and the rest of the flood was refused as busy.

    Fails at once when a check is answered any other way (or fails): the queue could then
    never fill, and waiting for it would hang the whole run.
    """
    while True:
        answered = [f.result() for f in flood if f.done()]
        assert set(answered) <= {429}, f"the flood was answered {sorted(answered)}, not queued"
        if pool.in_flight == 1 + WAITING and len(answered) == 2 * WAITING:
            return
        await asyncio.sleep(0.01)


async def test_staff_sign_in_succeeds_while_wrong_receipts_fill_the_receipt_pool(
    flooded_pool_workspace: Workspace,
) -> None:
    ws = flooded_pool_workspace
    alice = await ws.enrol("alice", "kent-police")
    pool = ws.services.kdf
    gate = threading.Event()
    held = asyncio.ensure_future(pool.run(gate.wait))  # the only receipt worker, busy
    try:
        await _until(lambda: pool.in_flight == 1)
        flood = [asyncio.ensure_future(_wrong_receipt(ws.reporter_url)) for _ in range(3 * WAITING)]
        # The queue fills, and the rest of the flood is refused as busy (429).
        await _until_queued(pool, flood)

        await alice.sign_in()  # would wait behind the flood, or be refused, on a shared pool

        assert pool.in_flight == 1 + WAITING, "the flood was still queued when staff got in"
        assert not gate.is_set()
        assert (await alice.get("/inbox"))[0] == 200
    finally:
        gate.set()
        await held
    statuses = await asyncio.gather(*flood)
    assert sorted(statuses) == [303] * WAITING + [429] * (2 * WAITING)


async def test_the_receipt_throttles_follow_what_the_pool_measurably_derives(
    settings: Settings, services: Services
) -> None:
    reporter = create_reporter_app(settings, services)
    investigator = create_investigator_app(settings, services)
    runners = [(await _start(reporter))[0], (await _start(investigator))[0]]
    try:
        measured = await services.receipt_rate.per_second()
        assert measured > 0
        assert settings.throttle.receipt_checks_per_second is None  # the default: measured
        for bucket in (reporter[RECEIPT_THROTTLE], investigator[CALLER_RECEIPT_THROTTLE]):
            assert bucket.rate == measured  # one measurement, at start, for both sites
            assert bucket.burst == settings.kdf_workers + settings.throttle.max_waiting_kdf
    finally:
        for runner in runners:
            await runner.cleanup()
    fixed = settings.with_changes(
        throttle=ThrottleSettings(receipt_checks_per_second=3.0, receipt_check_burst=7)
    )
    app = create_reporter_app(fixed, services)
    runner, _ = await _start(app)
    try:
        assert (app[RECEIPT_THROTTLE].rate, app[RECEIPT_THROTTLE].burst) == (3.0, 7)
    finally:
        await runner.cleanup()
