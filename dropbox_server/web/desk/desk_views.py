"""Relay and closing: a force asks the desk; the desk settles requests and closes reports."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dropbox_server.clock import today
from dropbox_server.reports import relay
from dropbox_server.reports.case_actions import MessageError
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import SERVICES, SETTINGS
from dropbox_server.web.desk.package_views import csrf_form
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.staff.case_views import report_page
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.pages import signed_in


async def _refused(
    request: web.Request,
    session: Session[Any],
    staff: StaffSession,
    field: str,
    code: str,
    values: dict[str, str],
) -> web.Response:
    """The report page again with the form's problem and what was typed (403 for CSRF)."""
    status = 403 if code == "csrf" else 400
    return await report_page(request, session, staff, errors={field: code}, values=values, status=status)


@signed_in
async def ask_desk(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """A force member's question for the reporter, or closing message, sent to the desk."""
    form = await csrf_form(request, session)
    if form is None:
        return await _refused(request, session, staff, "ask_desk", "csrf", {})
    text, kind = form.get("ask_desk"), form.get("kind")
    try:
        await relay.ask_desk(
            request.config_dict[SERVICES].db,
            staff.unlocked,
            request.match_info["report_id"],
            kind,
            text,
            request.config_dict[SETTINGS].limits.message_chars,
            today(),
        )
    except MessageError as exc:
        return await _refused(request, session, staff, "ask_desk", exc.code, {"ask_desk": text})
    raise web.HTTPSeeOther(f"/reports/{request.match_info['report_id']}?done=ask_desk#ask-desk")


@signed_in
async def close(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    form = await csrf_form(request, session)
    if form is None:
        return await _refused(request, session, staff, "close", "csrf", {})
    await relay.close_at_desk(
        request.config_dict[SERVICES].db, staff.unlocked, request.match_info["report_id"]
    )
    raise web.HTTPSeeOther(f"/reports/{request.match_info['report_id']}?done=closed")


@signed_in
async def settle_request(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    """The desk marks a force's request relayed (after replying in its own words) or declined."""
    form = await csrf_form(request, session)
    if form is None:
        return error_page(request, 403)
    try:
        report_id = await relay.settle_request(
            request.config_dict[SERVICES].db,
            staff.unlocked,
            int(request.match_info["request_id"]),
            form.get("settle") == "relayed",
        )
    except MessageError:
        return error_page(request, 409)  # someone at the desk settled it meanwhile
    raise web.HTTPSeeOther(f"/reports/{report_id}?done=settled#desk-requests")
