"""Application factories: two sites, two applications, two ports, never one app split by Host."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from dropbox_server.clock import Clocks
from dropbox_server.config import Settings
from dropbox_server.csrf import CsrfTokens
from dropbox_server.custody.staff_auth import Decoy, SignInThrottle, make_decoy
from dropbox_server.files.admission import UploadGate
from dropbox_server.reports import retention
from dropbox_server.sessions import SessionStore
from dropbox_server.support import load_support
from dropbox_server.throttle import KeyedBuckets, TokenBucket
from dropbox_server.web.appkeys import (
    CALLER_RECEIPT_THROTTLE,
    CLOCKS,
    CSRF,
    DECOY,
    OPEN_CALLS,
    RECEIPT_THROTTLE,
    SERVICES,
    SESSIONS,
    SETTINGS,
    SIGN_IN_THROTTLE,
    SITE,
    SUBMIT_THROTTLE,
    SUPPORT,
    SWITCH_PATHS,
    TEMPLATES,
    UPLOAD_GATE,
    Services,
    SwitchPaths,
)
from dropbox_server.web.cross_site import refuse_cross_site
from dropbox_server.web.desk.routes import ROUTES as DESK_ROUTES
from dropbox_server.web.middlewares import add_security_headers, friendly_errors, language
from dropbox_server.web.rendering import create_environment
from dropbox_server.web.reporter.presession import set_presession_cookie
from dropbox_server.web.reporter.receipt_once import RECEIPTS_TO_SHOW, RECEIPTS_TYPED, ReceiptsToShow
from dropbox_server.web.reporter.routes import ROUTES as REPORTER_ROUTES
from dropbox_server.web.reporter.routes import SWITCH_PATHS as REPORTER_SWITCH_PATHS
from dropbox_server.web.staff.intake_state import open_calls_store
from dropbox_server.web.staff.routes import ROUTES as INVESTIGATOR_ROUTES

STATIC_DIR = Path(__file__).parent / "static"


def _base_app(settings: Settings, services: Services, site: str) -> web.Application:
    app = web.Application(
        middlewares=[language, friendly_errors],
        client_max_size=settings.limits.form_body_bytes,
    )
    app[SETTINGS] = settings
    app[SERVICES] = services
    app[SITE] = site
    app[SUPPORT] = load_support(settings.data_dir)
    app[TEMPLATES] = create_environment()
    app[CSRF] = CsrfTokens()
    app.on_response_prepare.append(add_security_headers)
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=False)
    return app


def create_reporter_app(
    settings: Settings, services: Services, *, clock: Callable[[], float] = time.monotonic
) -> web.Application:
    """The public reporter site.

    `clock` lets tests drive session expiry explicitly.
    Security: it has no route of the investigator site and never names its onion address.
    """
    app = _base_app(settings, services, "reporter")
    app.middlewares.append(refuse_cross_site)
    app[SESSIONS] = SessionStore[Any](
        settings.sessions.reporter_idle_seconds,
        settings.sessions.reporter_idle_seconds,
        settings.sessions.max_live_sessions,
        clock=clock,
        evict_when_full=True,
    )
    # Sized at start-up (_size_receipt_throttles) unless the settings fix the limits.
    app[RECEIPT_THROTTLE] = TokenBucket(1.0, 1)
    app.cleanup_ctx.append(_size_receipt_throttles(RECEIPT_THROTTLE))
    app[SUBMIT_THROTTLE] = TokenBucket(
        settings.throttle.submissions_per_second, settings.throttle.submission_burst
    )
    app[SWITCH_PATHS] = REPORTER_SWITCH_PATHS
    app[UPLOAD_GATE] = UploadGate(settings.uploads, settings.files_dir)
    app[RECEIPTS_TO_SHOW] = ReceiptsToShow()
    app[RECEIPTS_TYPED] = ReceiptsToShow()
    app.on_response_prepare.append(set_presession_cookie)
    app.cleanup_ctx.append(_sweep_sessions)
    app.add_routes(REPORTER_ROUTES)
    return app


def create_investigator_app(
    settings: Settings, services: Services, *, clocks: Clocks | None = None
) -> web.Application:
    """The investigator site, served on its own port behind its own client-authorised onion.

    `clocks` lets tests drive session expiry and TOTP time explicitly.
    """
    clocks = clocks or Clocks()
    app = _base_app(settings, services, "investigator")
    app[CLOCKS] = clocks
    app[SESSIONS] = SessionStore[Any](
        settings.sessions.staff_idle_seconds,
        settings.sessions.staff_absolute_seconds,
        settings.sessions.max_live_sessions,
        clock=clocks.monotonic,
    )
    limits = settings.throttle
    app[SIGN_IN_THROTTLE] = SignInThrottle(
        KeyedBuckets(
            limits.staff_sign_in_per_account_per_second,
            limits.staff_sign_in_per_account_burst,
            clock=clocks.monotonic,
        ),
        TokenBucket(limits.staff_sign_in_per_second, limits.staff_sign_in_burst, clock=clocks.monotonic),
    )
    app[DECOY] = Decoy()
    app[SWITCH_PATHS] = SwitchPaths()
    app[OPEN_CALLS] = open_calls_store(clocks.monotonic)
    # Callers' receipts are checked under their own global bucket, as strict as the reporter site's.
    app[CALLER_RECEIPT_THROTTLE] = TokenBucket(1.0, 1, clock=clocks.monotonic)
    app.cleanup_ctx.append(_size_receipt_throttles(CALLER_RECEIPT_THROTTLE))
    app.cleanup_ctx.append(_make_decoy)
    app.cleanup_ctx.append(_sweep_sessions)
    app.cleanup_ctx.append(retention_job)
    app.add_routes(INVESTIGATOR_ROUTES)
    app.add_routes(DESK_ROUTES)
    return app


async def _make_decoy(app: web.Application) -> AsyncIterator[None]:
    """One argon2id run at start-up so unknown usernames cost what known ones do."""
    app[DECOY].wrapped = await app[SERVICES].staff_kdf.run(make_decoy, app[SETTINGS].password_kdf)
    yield


def _size_receipt_throttles(
    key: web.AppKey[TokenBucket],
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A start-up step that sizes a receipt throttle to what the receipt KDF pool can do.

    Security: a throttle that admits more than the pool derives only moves the queue into
    the pool (where every request waits); admitting what it derives keeps waits short
    and refuses the rest at once with 429.
    """

    async def size(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        limits = settings.throttle
        rate = limits.receipt_checks_per_second or await app[SERVICES].receipt_rate.per_second()
        burst = limits.receipt_check_burst or settings.kdf_workers + limits.max_waiting_kdf
        app[key].reset(rate, burst)
        yield

    return size


async def _sweep_sessions(app: web.Application) -> AsyncIterator[None]:
    """Drop expired sessions (and the keys in them) every minute, not only when touched.

    Security: on both sites. An investigator who walks away, or a reporter who closes the
    browser, leaves no private key in memory beyond the idle limit plus a minute.
    """
    every = app[SETTINGS].sessions.sweep_seconds

    async def sweep() -> None:
        while True:
            await asyncio.sleep(every)
            app[SESSIONS].sweep()

    task = asyncio.create_task(sweep())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def retention_job(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: run retention a minute after start, then every day, until shutdown.

    Security: only the exception type is logged, never its message (it could name data).
    """
    services, settings = app[SERVICES], app[SETTINGS]
    delay = min(retention.STARTUP_DELAY_SECONDS, settings.retention.run_every_seconds)
    task = asyncio.create_task(retention.run_daily(services.db, services.files, settings.retention, delay))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
