"""Typed keys for what the applications share, declared here only: no module globals, no singletons.

Security: imports nothing above web/, so every view, middleware and helper can use it
without pulling wiring or a site in.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from jinja2 import Environment

from dropbox_server.clock import Clocks
from dropbox_server.config import Settings
from dropbox_server.csrf import CsrfTokens
from dropbox_server.custody.staff_auth import Decoy, SignInThrottle
from dropbox_server.files.admission import UploadGate
from dropbox_server.files.disk import FileDir
from dropbox_server.kdf import KdfRunner, MeasuredRate, ReceiptContext
from dropbox_server.sessions import SessionStore
from dropbox_server.store import Database
from dropbox_server.support import Support
from dropbox_server.throttle import TokenBucket


@dataclass(frozen=True)
class Services:
    """Long-lived collaborators shared by both sites in one process (opened by services.py)."""

    db: Database
    kdf: KdfRunner  # receipts: the reporter site and call handlers' caller checks
    receipts: ReceiptContext
    files: FileDir
    staff_kdf: KdfRunner  # staff passwords only
    receipt_rate: MeasuredRate  # what `kdf` derives per second here, for the receipt throttles
    # Clean copies are made one at a time: each worker process may use 1 GiB and a core.
    cleaning: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))


@dataclass(frozen=True)
class SwitchPaths:
    """Where a language link goes from a page that cannot be fetched again (a POST's answer).

    `refetch`: paths whose POST answer a GET can show again; `sections`: path prefixes that
    land on their own start page; anything else lands on `home`. Each site sets its own.
    """

    refetch: frozenset[str] = frozenset()
    sections: tuple[str, ...] = ()
    home: str = "/"


# Both sites: SETTINGS to SWITCH_PATHS; the staff site only: SIGN_IN_THROTTLE to
# CALLER_RECEIPT_THROTTLE; the reporter site only: UPLOAD_GATE.
SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
TEMPLATES = web.AppKey("templates", Environment)
CSRF = web.AppKey("csrf", CsrfTokens)
SESSIONS = web.AppKey("sessions", SessionStore[Any])
RECEIPT_THROTTLE = web.AppKey("receipt_throttle", TokenBucket)
SUBMIT_THROTTLE = web.AppKey("submit_throttle", TokenBucket)
SITE = web.AppKey("site", str)
SUPPORT = web.AppKey("support", Support)  # who runs the service, where to get help
LANG = web.RequestKey("lang", str)
SWITCH_PATHS = web.AppKey("switch_paths", SwitchPaths)
SIGN_IN_THROTTLE = web.AppKey("sign_in_throttle", SignInThrottle)
DECOY = web.AppKey("decoy", Decoy)
CLOCKS = web.AppKey("clocks", Clocks)
OPEN_CALLS = web.AppKey("open_calls", SessionStore[Any])
CALLER_RECEIPT_THROTTLE = web.AppKey("caller_receipt_throttle", TokenBucket)
UPLOAD_GATE = web.AppKey("upload_gate", UploadGate)
