"""The forms on a report: reply, note, outcome, assignment, transfer; each POST carries a CSRF token."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dropbox_server.clock import today
from dropbox_server.custody import directory
from dropbox_server.reports import case_actions
from dropbox_server.reports.case_actions import (
    AssignmentError,
    AssignRequest,
    OutcomeError,
    assign_report,
    change_outcome,
)
from dropbox_server.reports.transfer import TransferRequest, preview_transfer, transfer_report
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import SERVICES, SETTINGS
from dropbox_server.web.formdata import FormData, FormTooLarge, read_form
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.staff.case_views import report_page
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.pages import csrf_ok, signed_in, staff_page


async def _form(
    request: web.Request, session: Session[Any], staff: StaffSession, field: str
) -> FormData | web.Response:
    """The posted form, or the report page again (403) when its CSRF token is not good."""
    try:
        form = await read_form(request, request.config_dict[SETTINGS].limits.form_body_bytes)
    except FormTooLarge:
        return error_page(request, 413)
    if not csrf_ok(request, session, form.get("csrf_token")):
        values = {k: form.get(k) for k in ("reply", "note", "reason", "transfer_reason")}
        return await report_page(request, session, staff, errors={field: "csrf"}, values=values, status=403)
    return form


_CHANGED_MEANWHILE = frozenset({"changed_meanwhile", "assignee_changed"})


async def _refused(
    request: web.Request,
    session: Session[Any],
    staff: StaffSession,
    field: str,
    code: str,
    values: dict[str, str],
) -> web.Response:
    """The report page again with the form's problem and what was typed.

    409 when someone else changed the report meanwhile, 400 for anything else.
    """
    status = 409 if code in _CHANGED_MEANWHILE else 400
    return await report_page(request, session, staff, errors={field: code}, values=values, status=status)


def _done(request: web.Request, what: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/reports/{request.match_info['report_id']}?done={what}#{what}")


async def _message(
    request: web.Request, session: Session[Any], staff: StaffSession, kind: str
) -> web.StreamResponse:
    form = await _form(request, session, staff, kind)
    if isinstance(form, web.Response):
        return form
    action = case_actions.reply if kind == "reply" else case_actions.note
    text = form.get(kind)
    try:
        await action(
            request.config_dict[SERVICES].db,
            staff.unlocked,
            request.match_info["report_id"],
            text,
            request.config_dict[SETTINGS].limits.message_chars,
            today(),
        )
    except case_actions.MessageError as exc:
        return await _refused(request, session, staff, kind, exc.code, {kind: text})
    raise _done(request, kind)


@signed_in
async def reply(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    return await _message(request, session, staff, "reply")


@signed_in
async def note(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    return await _message(request, session, staff, "note")


@signed_in
async def outcome(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    form = await _form(request, session, staff, "outcome")
    if isinstance(form, web.Response):
        return form
    try:
        await change_outcome(
            request.config_dict[SERVICES].db,
            staff.unlocked,
            request.match_info["report_id"],
            form.get("outcome"),
            form.get("reason"),
            today(),
            seen=form.get("seen_outcome"),
        )
    except OutcomeError as exc:
        values = {"reason": form.get("reason"), "outcome": form.get("outcome")}
        return await _refused(request, session, staff, "outcome", exc.code, values)
    raise _done(request, "outcome")


@signed_in
async def assign(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """The supervisor gives the report to a member of the unit, or to nobody."""
    form = await _form(request, session, staff, "assign")
    if isinstance(form, web.Response):
        return form
    request_ = AssignRequest(
        report_id=request.match_info["report_id"], to=form.get("assignee"), seen=form.get("seen_assignee")
    )
    try:
        await assign_report(request.config_dict[SERVICES].db, staff.unlocked, request_, today())
    except AssignmentError as exc:
        return await _refused(request, session, staff, "assign", exc.code, {"assignee": request_.to})
    raise _done(request, "assign")


@signed_in
async def transfer(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """Pass a report or package on: the first POST shows a confirmation page, the second moves it."""
    form = await _form(request, session, staff, "transfer")
    if isinstance(form, web.Response):
        return form
    request_ = TransferRequest(
        report_id=request.match_info["report_id"],
        to_unit_id=form.get("to_unit"),
        reason=form.get("transfer_reason"),
        conflict_override=form.get("conflict_override") == "yes",
        seen_outcome=form.get("seen_outcome"),
    )
    db = request.config_dict[SERVICES].db
    try:
        if form.get("confirmed") != "yes":
            # Nothing moves on the first press: the second page names the unit and what travels.
            preview = await preview_transfer(db, staff.unlocked, request_)
            context = {"preview": preview, "to_name": await directory.unit_name(db, request_.to_unit_id)}
            return staff_page(request, "investigator/transfer_confirm.html", session, staff, context)
        await transfer_report(db, staff.unlocked, request_, today())
    except OutcomeError as exc:
        values = {"transfer_reason": request_.reason, "to_unit": request_.to_unit_id}
        return await _refused(request, session, staff, "transfer", exc.code, values)
    raise web.HTTPSeeOther(f"/passed-on?done={request_.report_id}")
