"""Cross-cutting request handling: language, security headers, friendly error pages."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable

from aiohttp import web

from dropbox_server.custody.certify import UncertifiedKey
from dropbox_server.files.disk import StorageFull
from dropbox_server.i18n import lazy, pick_language, with_language
from dropbox_server.web.appkeys import LANG
from dropbox_server.web.formdata import BodyStalled, FormTooLarge
from dropbox_server.web.part_headers import UnreadablePart
from dropbox_server.web.rendering import current_language, render

log = logging.getLogger("tipdrop.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

ERROR_TITLES = {
    400: lazy("This request could not be understood"),
    403: lazy("This form has expired"),
    408: lazy("What you were sending stopped arriving"),
    404: lazy("Page not found"),
    405: lazy("This page cannot be used that way"),
    413: lazy("What you sent is too large"),
    429: lazy("Too many attempts"),
    500: lazy("Something went wrong on our side"),
    503: lazy("The service is busy"),
}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response, static files and errors included, carries the strict headers.

    Security: keeps invariant 3 (CSP, no referrer, no framing, no sniffing, no caching).
    """
    response.headers.update(SECURITY_HEADERS)
    response.headers.pop("Server", None)
    response.headers.pop("Last-Modified", None)
    response.headers.pop("ETag", None)


@web.middleware
async def language(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pick the language from the `lang` query parameter; no cookie is needed."""
    lang = pick_language(request.query.get("lang"))
    request[LANG] = lang
    current_language.set(lang)
    try:
        response = await handler(request)
    except web.HTTPRedirection as exc:
        _keep_language(exc, lang)
        raise
    if 300 <= response.status < 400:
        _keep_language(response, lang)
    return response


def _keep_language(response: web.StreamResponse, lang: str) -> None:
    """Redirects within the site keep the reader's language."""
    location = response.headers.get("Location", "")
    if location.startswith("/") and not location.startswith("//"):
        response.headers["Location"] = with_language(location, lang)


def error_page(request: web.Request, status: int, message: str | None = None) -> web.Response:
    """The friendly page for an error status; `message` picks a more exact explanation."""
    title = ERROR_TITLES.get(status, ERROR_TITLES[400] if status < 500 else ERROR_TITLES[500])
    return render(
        request, "error.html", {"status": status, "title": title, "message": message}, status=status
    )


@web.middleware
async def friendly_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error into a friendly page with the right status and never a stack trace.

    Security: what is logged is the exception type and code locations only, never messages
    or request data, which could hold what a reporter typed.
    """
    try:
        return await handler(request)
    except BodyStalled:
        return error_page(request, 408)
    except UnreadablePart:
        return error_page(request, 400, "unreadable_part")
    except StorageFull:
        # The write was rolled back and its files removed before this was raised.
        return error_page(request, 503, "storage_full")
    except UncertifiedKey:
        # Security: a key the server was about to seal to fails its certificate (the
        # database may have been altered); nothing was stored. Audited, and on /health.
        log.error("refused: a key failed its certificate, nothing was sealed (see run.py status)")
        return error_page(request, 500)
    except FormTooLarge:
        # A form a handler reads without its own answer for "too large" (sign-out, say).
        return error_page(request, 413)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        page = error_page(request, exc.status)
        for header in ("Allow", "Retry-After"):
            if header in exc.headers:
                page.headers[header] = exc.headers[header]
        return page
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames[-6:]))
        log.error("unhandled %s at %s", type(exc).__name__, where)
        return error_page(request, 500)
