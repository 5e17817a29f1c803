"""Receiving a form with attachments over HTTP: early refusal and the clear "too large" page."""

from __future__ import annotations

from aiohttp import web

from dropbox_server.config import Settings
from dropbox_server.rendering import render

# Room for multipart boundaries and part headers on top of the text and file limits.
_MULTIPART_OVERHEAD = 64 * 1024
_PER_PART_OVERHEAD = 4 * 1024


def upload_cap(settings: Settings) -> int:
    """The most bytes a form with attachments may declare."""
    return (
        settings.limits.form_body_bytes
        + settings.files.submission_bytes
        + settings.files.files_per_submission * _PER_PART_OVERHEAD
        + _MULTIPART_OVERHEAD
    )


def declared_too_large(request: web.Request, settings: Settings) -> bool:
    """True when the declared Content-Length is already over every limit (refused unread)."""
    return request.content_length is not None and request.content_length > upload_cap(settings)


def file_limit_values(settings: Settings) -> dict[str, int]:
    """The limits as pages state them."""
    mib = 1024 * 1024
    return {
        "file_mib": settings.files.file_bytes // mib,
        "total_mib": settings.files.submission_bytes // mib,
        "count": settings.files.files_per_submission,
    }


def too_large_page(request: web.Request, settings: Settings, limit: str) -> web.Response:
    """413 that says which limit was passed, and that nothing of the upload was kept."""
    context: dict[str, object] = {"limit": limit, **file_limit_values(settings)}
    return render(request, "files/too_large.html", context, status=413)
