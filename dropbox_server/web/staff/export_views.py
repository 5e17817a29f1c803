"""Case file export: one ZIP for the unit's case system, a PDF of the case and the files.

The ZIP is written as it is sent, file by file, record by record: nothing decrypted is put
on disk, and memory stays at about one record. The PDF goes last, once every file's SHA-256
is known; a case system can check each file against it.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zipfile
from typing import Any

from aiohttp import web

from dropbox_server.clock import today
from dropbox_server.custody import directory
from dropbox_server.files.download import FileDamaged
from dropbox_server.files.meta import content_disposition
from dropbox_server.i18n import DEFAULT_LANGUAGE, translations
from dropbox_server.reports.case_export import FileLine, export_case, hashed_chunks
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import LANG, SERVICES, SETTINGS
from dropbox_server.web.formdata import FormTooLarge, read_form
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.staff.case_pdf import FontMissing, case_pdf, font_dir
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.pages import csrf_ok, signed_in

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class _Sink(io.RawIOBase):
    """Where zipfile writes: bytes kept until the view sends them (not seekable, by design)."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def archive_name(position: int, name: str) -> str:
    """files/NN-name: numbered so equal names stay apart; no path, drive or control character."""
    clean = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" .") or "file"
    return f"files/{position:02d}-{clean[:120]}"


@signed_in
async def export(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """POST (with the session's CSRF token): the case file ZIP, audited, streamed."""
    try:
        form = await read_form(request, request.config_dict[SETTINGS].limits.form_body_bytes)
    except FormTooLarge:
        return error_page(request, 413)
    if not csrf_ok(request, session, form.get("csrf_token")):
        return error_page(request, 403)
    try:
        font_dir()
    except FontMissing:
        log.error("case export refused: the DejaVu fonts are not installed")
        return error_page(request, 503)
    services = request.config_dict[SERVICES]
    day = today()
    exported = await export_case(
        services.db, services.files, staff.unlocked, request.match_info["report_id"], day
    )
    report_id = exported.case.opened.report.id
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": content_disposition(f"case-file-{report_id}-{day}.zip"),
        }
    )
    await response.prepare(request)
    sink = _Sink()
    lines: list[FileLine] = []
    try:
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
            for position, opened in enumerate(exported.files, start=1):
                path = archive_name(position, opened.meta.name)
                with archive.open(path, "w", force_zip64=True) as member:
                    async for chunk in hashed_chunks(opened, path, lines):
                        member.write(chunk)
                        await response.write(sink.take())
            gettext = translations(request.get(LANG, DEFAULT_LANGUAGE)).gettext
            names = await directory.unit_names(services.db)
            archive.writestr(f"case-file-{report_id}.pdf", case_pdf(exported, lines, names, gettext))
        await response.write(sink.take())
    except FileDamaged:
        # Headers are gone: cut the connection so the client sees a failed download, never a
        # whole-looking archive. Only the report id is logged.
        log.warning("case export of %s cut off: a file did not open", report_id)
        if request.transport is not None:
            request.transport.abort()
        return response
    await response.write_eof()
    return response
