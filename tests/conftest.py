"""Shared fixtures: a real data directory, real SQLite, real crypto with cheap argon2id costs,
and both sites served over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from dropbox_server import totp
from dropbox_server.app import create_investigator_app, create_reporter_app
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import custodian, enrolment, keyring, redemption
from dropbox_server.custody.custodian import ShareSpec
from dropbox_server.custody.provision import Initialised, init_data_dir
from dropbox_server.kdf import KdfRunner
from dropbox_server.services import open_services
from dropbox_server.store import Database
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store
from dropbox_server.web.appkeys import SETTINGS, Services
from dropbox_server.web.server import start_site
from receipt_codes import KdfParams
from tests import leakcheck


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger().addHandler(leakcheck.log_keeper)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The session-wide leak scan runs after every other test."""
    items.sort(key=lambda item: item.nodeid.endswith("test_no_leaks_after_the_whole_run"))


CHEAP_KDF = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
# Tests split the custodian key 2 of 3; the shares are written beside (never inside) the
# data directory, as their holders would keep them apart from the server.
TEST_SHARES = ShareSpec(threshold=2, count=3)
SHARES_FILE = "custodian-shares.txt"


async def init_test_data_dir(settings: Settings, *, routing: str = "direct") -> Initialised:
    """`init` with the test split; the shares go to a file next to the data directory.

    Routing is `direct` unless a test asks for the desk (the product's default)."""
    done = await init_data_dir(settings, TEST_SHARES, routing=routing)
    (settings.data_dir.parent / SHARES_FILE).write_text("\n".join(s.words for s in done.shares) + "\n")
    return done


def custodian_shares_of(data_dir: Path) -> list[str]:
    """The custodian shares `init_test_data_dir` issued for this data directory."""
    return (data_dir.parent / SHARES_FILE).read_text().splitlines()


async def unlock_custodian(db: Database) -> bytes:
    """The custodian key from K of the test shares, through the real share path."""
    shares = custodian_shares_of(db.path.parent)
    return await custodian.unlock(db, shares[: TEST_SHARES.threshold])


@dataclass(frozen=True)
class Enrolled:
    """A member enrolled by the real flow: their id, authenticator secret and key fingerprint."""

    staff_id: int
    totp_secret: str
    fingerprint: str


async def invite_and_redeem(
    db: Database, *, username: str, unit_id: str, role: str, password: str, kdf: KdfParams = CHEAP_KDF
) -> tuple[redemption.Redeemed, str]:
    """`keys add-investigator` (an enrolment code), then the newcomer's own redemption of it."""
    invited = await enrolment.invite(
        db, username=username, unit_id=unit_id, role=role, requested_by="security staff (test)", day=today()
    )
    secret = totp.new_secret()
    now = time.time()
    # The code of the step before (accepted within the drift): the redemption spends it, and
    # the current code stays free for the test's first sign-in.
    choice = redemption.Choice(password, password, secret, totp.code_at_step(secret, totp.current_step(now) - 1))
    runner = KdfRunner(1, 4)
    try:
        done = await redemption.redeem(db, runner, invited.code, choice, kdf, now=now, day=today())
    finally:
        runner.close()
    return done, secret


async def enrol_member(
    db: Database, *, username: str, unit_id: str, role: str, password: str, kdf: KdfParams = CHEAP_KDF
) -> Enrolled:
    """Enrol by the real flow: a code from security staff, the newcomer's own redemption, then
    the approver types the fingerprint read out: security staff with K custodian shares for a
    unit's first key holder, else a current member (the fixture takes that member's unit keys
    from the custodian, standing in for their signed-in session)."""
    done, secret = await invite_and_redeem(
        db, username=username, unit_id=unit_id, role=role, password=password, kdf=kdf
    )
    if done.needs_approval:
        custodian_private = await unlock_custodian(db)
        if done.first_key_holder:
            await enrolment.approve_first(
                db, custodian_private, username, done.fingerprint, today(), approved_by="security staff (test)"
            )
        else:
            approver_row = (await key_store.members_with_unit_keys(db, unit_id))[0]
            keys = await keyring.unit_private_keys_from_custodian(db, unit_id, custodian_private)
            await enrolment.approve(
                db, keyring.UnlockedStaff(approver_row, b"", keys), username, done.fingerprint, today()
            )
    row = await staff_store.get_staff_by_username(db, username)
    assert row is not None
    return Enrolled(row.id, secret, done.fingerprint)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.for_data_dir(tmp_path / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)


@pytest.fixture
def routing() -> str:
    """The routing the data directory is made with. These tests were written for `direct`
    (reports reach the named force's unit) and say so; desk tests override this fixture."""
    return "direct"


@pytest.fixture
async def services(settings: Settings, routing: str) -> AsyncIterator[Services]:
    await init_test_data_dir(settings, routing=routing)
    async with open_services(settings) as opened:
        yield opened


@dataclass
class Sites:
    """Both sites running on 127.0.0.1 with their base URLs."""

    reporter_url: str
    investigator_url: str
    settings: Settings
    services: Services


async def _start(app: web.Application, max_connections: int = 256) -> tuple[web.AppRunner, str]:
    """Serve `app` on a free port the way `serve` does (our protocol handler and limits)."""
    runner = await start_site(app, app[SETTINGS], 0, max_connections)
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@pytest.fixture
async def sites(settings: Settings, services: Services) -> AsyncIterator[Sites]:
    reporter_runner, reporter_url = await _start(create_reporter_app(settings, services))
    investigator_runner, investigator_url = await _start(create_investigator_app(settings, services))
    try:
        yield Sites(reporter_url, investigator_url, settings, services)
    finally:
        await reporter_runner.cleanup()
        await investigator_runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client with its own cookie jar (unsafe=True lets it keep cookies for 127.0.0.1)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@asynccontextmanager
async def reporter_site(tmp_path: Path, routing: str = "desk", **overrides: object) -> AsyncIterator[Sites]:
    """A reporter site alone on a fresh data directory, with settings overridden (limits, costs)."""
    values: dict[str, object] = {"receipt_kdf": CHEAP_KDF, "password_kdf": CHEAP_KDF, **overrides}
    settings = Settings.for_data_dir(tmp_path / "data", **values)
    await init_test_data_dir(settings, routing=routing)
    async with open_services(settings) as services:
        runner, url = await _start(create_reporter_app(settings, services))
        try:
            yield Sites(url, "", settings, services)
        finally:
            await runner.cleanup()
