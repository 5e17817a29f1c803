"""Investigator site handlers for attachments: the case's files, downloads, and replies with files.

Thin: parse, call a use case in reports.case_files, render or stream. Every handler runs
behind investigator.pages.signed_in (a live staff session, 404 for other units' reports).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dropbox_server.clock import today
from dropbox_server.files.download import FileDamaged, FileNotFound
from dropbox_server.files.strip import CannotStrip, can_strip
from dropbox_server.files.upload import UploadBatch
from dropbox_server.reports import case_files as file_cases
from dropbox_server.reports.access import load_case
from dropbox_server.reports.case_actions import MessageError
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import SERVICES, SETTINGS
from dropbox_server.web.formdata import FormTooLarge, read_form
from dropbox_server.web.http_files import (
    damaged_page,
    declared_too_large,
    download_headers,
    file_limit_values,
    stream_file,
    too_large_page,
)
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.pages import csrf_ok, signed_in, staff_page


def _back(request: web.Request) -> str:
    return f"/reports/{request.match_info['report_id']}/files"


async def _files_page(
    request: web.Request,
    session: Session[Any],
    staff: StaffSession,
    *,
    problem: str = "",
    message: str = "",
    status: int = 200,
) -> web.Response:
    services = request.config_dict[SERVICES]
    report_id = request.match_info["report_id"]
    files = await file_cases.case_files(services.db, services.files, staff.unlocked, report_id)
    context = {
        "report_id": report_id,
        "files": files,
        "strippable": {f.row.id for f in files if can_strip(f.meta.kind, f.meta.size)},
        "file_limits": file_limit_values(request.config_dict[SETTINGS]),
        "problem": problem,
        "message": message,
        "sent": request.query.get("sent") == "1",
    }
    return staff_page(request, "files/case_files.html", session, staff, context, status=status)


@signed_in
async def case_files(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    return await _files_page(request, session, staff)


@signed_in
async def download(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """The file exactly as it was sent, streamed and decrypted on the fly."""
    services = request.config_dict[SERVICES]
    try:
        opened = await file_cases.case_file(
            services.db,
            services.files,
            staff.unlocked,
            request.match_info["report_id"],
            request.match_info["file_id"],
        )
    except FileNotFound:
        return error_page(request, 404)
    except FileDamaged:
        return damaged_page(request, _back(request))
    return await stream_file(request, opened, _back(request))


@signed_in
async def download_clean(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    """A copy without metadata (JPEG, PNG, PDF up to strip.STRIP_MAX_BYTES), made in a worker process."""
    services = request.config_dict[SERVICES]
    try:
        meta, clean = await file_cases.clean_copy(
            services.db,
            services.files,
            staff.unlocked,
            request.match_info["report_id"],
            request.match_info["file_id"],
            services.cleaning,
        )
    except FileNotFound:
        return error_page(request, 404)
    except FileDamaged:
        return damaged_page(request, _back(request))
    except CannotStrip:
        return await _files_page(request, session, staff, problem="cannot_strip", status=422)
    stem, dot, ext = meta.name.rpartition(".")
    clean_name = f"{stem} (metadata removed).{ext}" if dot and stem else f"{meta.name} (metadata removed)"
    return web.Response(body=clean, headers=download_headers(clean_name, len(clean)))


@signed_in
async def reply_with_files(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    """Send files (and an optional message) to the reporter, sealed to their receipt key."""
    settings = request.config_dict[SETTINGS]
    services = request.config_dict[SERVICES]
    if declared_too_large(request, settings):
        return too_large_page(request, settings, "total")
    case = await load_case(services.db, staff.unlocked, request.match_info["report_id"])
    recipients = await file_cases.reply_recipients(services.db, case)
    async with UploadBatch(services.files, recipients, settings.files) as batch:
        try:
            form = await read_form(request, settings.limits.form_body_bytes, files=batch)
        except FormTooLarge as exc:
            return too_large_page(request, settings, exc.limit)
        text = form.get("message")
        if not csrf_ok(request, session, form.get("csrf_token")):
            return await _files_page(request, session, staff, problem="csrf", message=text, status=403)
        try:
            await file_cases.reply_with_files(
                services.db,
                staff.unlocked,
                case.report.id,
                text,
                settings.limits.message_chars,
                today(),
                batch,
            )
        except MessageError as exc:
            return await _files_page(request, session, staff, problem=exc.code, message=text, status=400)
    raise web.HTTPSeeOther(f"{_back(request)}?sent=1")
