"""Attachments over HTTP, for every site: serving one (streamed, as a download, never rendered
by the browser) and receiving a form with some (early refusal, the clear "too large" page)."""

from __future__ import annotations

import logging

from aiohttp import web

from dropbox_server.config import Settings
from dropbox_server.files.download import FileDamaged, OpenedFile, plaintext_chunks
from dropbox_server.files.meta import content_disposition
from dropbox_server.web.rendering import render

log = logging.getLogger("tipdrop.files")


def download_headers(name: str, size: int) -> dict[str, str]:
    """Headers for any attachment download.

    Security: `application/octet-stream` and `attachment` whatever the file claims to be,
    with nosniff (global), so an uploaded HTML or SVG file is saved, never run on the site.
    """
    return {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": content_disposition(name),
        "Content-Length": str(size),
    }


def damaged_page(request: web.Request, back: str) -> web.Response:
    return render(request, "files/damaged.html", {"back": back}, status=500)


async def stream_file(request: web.Request, opened: OpenedFile, back: str) -> web.StreamResponse:
    """Decrypt and send a file record by record; memory stays at one record.

    Security: the first record is checked before any header is sent, so a damaged header
    or key gives a clear page. A fault further on cuts the connection before the declared
    Content-Length is reached, so every client sees a failed download, never a whole-looking
    corrupt file. Only the file id is logged, never its name or content.
    """
    chunks = plaintext_chunks(opened)
    try:
        first = await anext(chunks, b"")
    except FileDamaged:
        log.warning("attachment %s failed to open; nothing was sent", opened.row.id)
        return damaged_page(request, back)
    response = web.StreamResponse(headers=download_headers(opened.meta.name, opened.meta.size))
    await response.prepare(request)
    try:
        await response.write(first)
        async for chunk in chunks:
            await response.write(chunk)
    except FileDamaged:
        log.warning("attachment %s failed part way; the download was cut off", opened.row.id)
        if request.transport is not None:
            request.transport.abort()
        return response
    await response.write_eof()
    return response


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


def plain_size(n_bytes: int) -> str:
    """A size as people say it: "500 MB", "1 GB", "1.5 GB" (binary units, as file managers count)."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n_bytes >= size:
            return f"{round(n_bytes / size, 1):g} {unit}"
    return f"{n_bytes} B"


def file_limit_values(settings: Settings) -> dict[str, int | str]:
    """The limits as pages state them, in the settings' own figures."""
    return {
        "file_size": plain_size(settings.files.file_bytes),
        "total_size": plain_size(settings.files.submission_bytes),
        "count": settings.files.files_per_submission,
    }


def too_large_page(request: web.Request, settings: Settings, limit: str) -> web.Response:
    """413 that says which limit was passed, and that nothing of the upload was kept."""
    context: dict[str, object] = {"limit": limit, **file_limit_values(settings)}
    return render(request, "files/too_large.html", context, status=413)
