"""Typed keys for what the applications share: no module globals, no singletons."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from jinja2 import Environment

from dropbox_server.config import Settings
from dropbox_server.csrf import CsrfTokens
from dropbox_server.files.admission import UploadGate
from dropbox_server.services import Services
from dropbox_server.sessions import SessionStore
from dropbox_server.throttle import TokenBucket

SETTINGS = web.AppKey("settings", Settings)
SERVICES = web.AppKey("services", Services)
TEMPLATES = web.AppKey("templates", Environment)
CSRF = web.AppKey("csrf", CsrfTokens)
SESSIONS = web.AppKey("sessions", SessionStore[Any])
RECEIPT_THROTTLE = web.AppKey("receipt_throttle", TokenBucket)
SUBMIT_THROTTLE = web.AppKey("submit_throttle", TokenBucket)
UPLOAD_GATE = web.AppKey("upload_gate", UploadGate)
SITE = web.AppKey("site", str)
LANG = web.RequestKey("lang", str)
