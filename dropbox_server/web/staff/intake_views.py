"""Phone intake for call handlers: type in a caller's report, or add to it with their receipt.

Security: only the `call_handler` role reaches these pages. A caller's receipt is opened
through the same single argon2id run as online, under a global throttle, and what it opens
is shown only in the answer to that POST; nothing here has a URL a handler could browse.
See reports/phone.py for why none of this is audited.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dropbox_server.clock import today
from dropbox_server.conduct import CONDUCT_KINDS, REPORTER_STATUS
from dropbox_server.kdf import KdfBusy
from dropbox_server.reports.access import RoleNotAllowed
from dropbox_server.reports.reporter_access import open_with_receipt, reporter_thread
from dropbox_server.reports.submission import RouteUnavailable, phone_follow_up, take_phone_report
from dropbox_server.reports.unit_choices import active_force_ids, force_choices
from dropbox_server.sessions import Session, SessionsFull
from dropbox_server.web.appkeys import CALLER_RECEIPT_THROTTLE, OPEN_CALLS, SERVICES, SETTINGS
from dropbox_server.web.formdata import FormData, FormTooLarge, read_form
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.reporter.forms import ALL_FIELDS, validate_report
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.intake_state import OpenCall
from dropbox_server.web.staff.pages import csrf_ok, signed_in, staff_page
from receipt_codes import ReceiptFormatError, parse_receipt

CALL_HANDLER = "call_handler"


def _only_call_handlers(staff: StaffSession) -> None:
    if staff.unlocked.staff.role != CALL_HANDLER:
        raise RoleNotAllowed(staff.unlocked.staff.role)


async def _form(
    request: web.Request, staff: StaffSession, limit: int | None = None
) -> FormData | web.Response:
    """A call handler's posted form, or the friendly 413 page when it is too large."""
    _only_call_handlers(staff)
    try:
        return await read_form(request, limit or request.config_dict[SETTINGS].limits.form_body_bytes)
    except FormTooLarge:
        return error_page(request, 413)


async def _intake_page(
    request: web.Request, session: Session[Any], staff: StaffSession, values: dict[str, str],
    errors: dict[str, Any], *, note: str = "", status: int = 200,
) -> web.Response:  # fmt: skip
    context = {
        "forces": await force_choices(request.config_dict[SERVICES].db),
        "conduct_kinds": CONDUCT_KINDS,
        "values": values,
        "errors": errors,
        "limits": request.config_dict[SETTINGS].limits,
        "note": note,
    }
    return staff_page(request, "investigator/intake.html", session, staff, context, status=status)


@signed_in
async def intake_form(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    _only_call_handlers(staff)
    return await _intake_page(request, session, staff, dict.fromkeys(ALL_FIELDS, ""), {})


@signed_in
async def intake_submit(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    """Store the caller's report (channel "phone") and show its receipt once, to read out."""
    form = await _form(request, staff)
    if isinstance(form, web.Response):
        return form
    services = request.config_dict[SERVICES]
    force_ids = await active_force_ids(services.db)
    result = validate_report(form, request.config_dict[SETTINGS].limits, force_ids)
    if not csrf_ok(request, session, form.get("csrf_token")):
        return await _intake_page(
            request, session, staff, result.values, result.errors, note="csrf", status=403
        )
    if result.content is None:
        return await _intake_page(request, session, staff, result.values, result.errors, status=400)
    try:
        receipt = await take_phone_report(
            services.db, services.receipts, result.content, result.contact, today()
        )
    except KdfBusy:
        return await _intake_page(request, session, staff, result.values, {}, note="busy", status=429)
    except RouteUnavailable:  # a unit's row was deleted (V3): health is red, nothing kept
        return await _intake_page(request, session, staff, result.values, {}, note="unavailable", status=503)
    words = receipt.split(" ")
    context = {"words": words}
    return staff_page(request, "investigator/intake_receipt.html", session, staff, context)


def _caller_page(
    request: web.Request,
    session: Session[Any],
    staff: StaffSession,
    context: dict[str, Any],
    status: int = 200,
) -> web.Response:
    values = {
        "problem": "",
        "unknown_words": (),
        "word_count": request.config_dict[SETTINGS].receipt_words,
        "thread": None,
        "call_token": "",
        "message": "",
        "limit": request.config_dict[SETTINGS].limits.message_chars,
        **context,
    }
    return staff_page(request, "investigator/intake_caller.html", session, staff, values, status=status)


@signed_in
async def caller_form(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    _only_call_handlers(staff)
    result = request.query.get("result", "")
    return _caller_page(request, session, staff, {"problem": result if result in ("ended", "added") else ""})


async def _open_call(
    request: web.Request, session: Session[Any], staff: StaffSession, form: FormData
) -> web.Response:
    """Check the receipt a caller read out; show their replies and a follow-up form."""
    try:
        receipt = parse_receipt(form.get("receipt"), request.config_dict[SETTINGS].receipt_words)
    except ReceiptFormatError as exc:
        context = {"problem": exc.reason, "unknown_words": exc.unknown_words[:3]}
        return _caller_page(request, session, staff, context, 400)
    if not request.config_dict[CALLER_RECEIPT_THROTTLE].try_take():
        return _caller_page(request, session, staff, {"problem": "busy"}, 429)
    services = request.config_dict[SERVICES]
    try:
        access = await open_with_receipt(services.db, services.receipts, receipt)
    except KdfBusy:
        return _caller_page(request, session, staff, {"problem": "busy"}, 429)
    found = await reporter_thread(services.db, access) if access is not None else None
    if access is None or found is None:
        return _caller_page(request, session, staff, {"problem": "unknown"})
    try:
        call = request.config_dict[OPEN_CALLS].create(OpenCall(staff.unlocked.staff.id, access))
    except SessionsFull:
        return _caller_page(request, session, staff, {"problem": "busy"}, 503)
    return _call_page(request, session, staff, found, call.id)


def _call_page(
    request: web.Request, session: Session[Any], staff: StaffSession, found: Any, token: str,
    *, message: str = "", problem: str = "", status: int = 200,
) -> web.Response:  # fmt: skip
    context = {
        "thread": found,
        "status_text": REPORTER_STATUS.get(found.report.outcome, REPORTER_STATUS["new"]),
        "call_token": token,
        "message": message,
        "message_problem": problem,
    }
    return _caller_page(request, session, staff, context, status)


@signed_in
async def caller_open(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    form = await _form(request, staff, 16 * 1024)
    if isinstance(form, web.Response):
        return form
    if not csrf_ok(request, session, form.get("csrf_token")):
        return _caller_page(request, session, staff, {"problem": "csrf"}, 403)
    return await _open_call(request, session, staff, form)


def _take_call(request: web.Request, staff: StaffSession, token: str) -> OpenCall | None:
    """The open call behind a form's token, if it is this handler's and still live."""
    found = request.config_dict[OPEN_CALLS].get(token)
    if found is None or not isinstance(found.payload, OpenCall):
        return None
    return found.payload if found.payload.staff_id == staff.unlocked.staff.id else None


def _message_problem(form: FormData, text: str, limit: int) -> str:
    if not text.strip():
        return "empty"
    if len(text) > limit:
        return "too_long"
    return "encoding" if "message" in form.bad_encoding else ""


@signed_in
async def caller_follow_up(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    """Add what the caller says to their report; the receipt is closed again afterwards."""
    form = await _form(request, staff)
    if isinstance(form, web.Response):
        return form
    text, token = form.get("message").replace("\r\n", "\n"), form.get("call")
    call = _take_call(request, staff, token)
    if call is None or not csrf_ok(request, session, form.get("csrf_token")):
        return _caller_page(request, session, staff, {"problem": "call_expired", "message": text}, 403)
    db = request.config_dict[SERVICES].db
    problem = _message_problem(form, text, request.config_dict[SETTINGS].limits.message_chars)
    found = await reporter_thread(db, call.access)
    if problem and found is not None:
        return _call_page(request, session, staff, found, token, message=text, problem=problem, status=400)
    request.config_dict[OPEN_CALLS].drop(token)
    if found is None or not await phone_follow_up(db, call.access, text.strip(), today()):
        return _caller_page(request, session, staff, {"problem": "unknown"})
    raise web.HTTPSeeOther("/intake/caller?result=added")


@signed_in
async def caller_end(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """Close a caller's receipt without adding anything."""
    form = await _form(request, staff, 16 * 1024)
    if isinstance(form, web.Response):
        return form
    if csrf_ok(request, session, form.get("csrf_token")) and _take_call(request, staff, form.get("call")):
        request.config_dict[OPEN_CALLS].drop(form.get("call"))
    raise web.HTTPSeeOther("/intake/caller?result=ended")
