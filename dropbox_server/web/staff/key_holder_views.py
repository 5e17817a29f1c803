"""Key holders: approving a new key holder for one's unit, and acknowledging the notices.

Security: the approver types the key fingerprint the newcomer reads out (never shown here,
so it must come from the newcomer); a request this server did not write is shown as
tampered and refused. Approving re-seals the approver's own copies of the unit's keys (held in this
session's memory) to the newcomer, so it needs a second person besides security staff and
never the custodian. A live session is not enough: the approver gives their password and a
fresh TOTP code (throttled with sign-in). Each POST carries the session's CSRF token and is
audited.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from dropbox_server import audit
from dropbox_server.clock import today
from dropbox_server.custody import enrolment, staff_auth
from dropbox_server.custody.keyring import ROLES_WITH_UNIT_KEYS
from dropbox_server.kdf import KdfBusy
from dropbox_server.reports.access import RoleNotAllowed
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import CLOCKS, SERVICES, SIGN_IN_THROTTLE
from dropbox_server.web.formdata import FormTooLarge, read_form
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.pages import csrf_ok, signed_in, staff_page

_FORM_BYTES = 4 * 1024
_REFUSAL_STATUS = {"no_keys": 409, "not_redeemed": 409, "tampered": 409, "wrong_fingerprint": 400}
# Security: back to a page of this site only: no scheme, no "//host", no backslash (which
# browsers read as a slash), no whitespace.
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&;-]*")
_NOTICE_ID = re.compile(r"[er][0-9]{1,18}")  # custody/notices.py: an audit entry, or a row from before 0018


async def _page(
    request: web.Request, session: Session[Any], staff: StaffSession, *, problem: str = "", status: int = 200
) -> web.Response:
    if staff.unlocked.staff.role not in ROLES_WITH_UNIT_KEYS:
        raise RoleNotAllowed
    waiting = await enrolment.waiting(request.config_dict[SERVICES].db, staff.unlocked.staff, today())
    context = {"waiting": waiting, "problem": problem, "done": request.query.get("result", "")}
    return staff_page(request, "investigator/key_holders.html", session, staff, context, status=status)


@signed_in
async def key_holders(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """Accounts waiting for this member's approval to hold the unit's keys."""
    return await _page(request, session, staff)


@signed_in
async def approve(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """Approve one waiting account: parse, call enrolment.approve, redirect."""
    try:
        form = await read_form(request, _FORM_BYTES)
    except FormTooLarge:
        return error_page(request, 413)
    if not csrf_ok(request, session, form.get("csrf_token")):
        return await _page(request, session, staff, problem="csrf", status=403)
    if staff.unlocked.staff.role not in ROLES_WITH_UNIT_KEYS:
        raise RoleNotAllowed
    throttle = request.config_dict[SIGN_IN_THROTTLE]
    if not throttle.try_attempt(staff.unlocked.staff.username):
        return await _page(request, session, staff, problem="throttled", status=429)
    db, me = request.config_dict[SERVICES].db, staff.unlocked.staff
    try:
        failure = await staff_auth.confirm_identity(
            db, request.config_dict[SERVICES].staff_kdf, me,
            (form.get("password"), form.get("code")), request.config_dict[CLOCKS].wall(), today(),
        )
    except KdfBusy:
        return await _page(request, session, staff, problem="throttled", status=429)
    if failure:
        await audit.record(db, audit.pending("enrolment_approval_refused", staff=me, detail=failure))
        return await _page(request, session, staff, problem="not_you", status=400)
    try:
        await enrolment.approve(
            db, staff.unlocked, form.get("username").strip(), form.get("fingerprint"), today()
        )
    except enrolment.EnrolmentRefused as exc:
        status = _REFUSAL_STATUS.get(exc.reason, 404)
        return await _page(request, session, staff, problem=exc.reason, status=status)
    raise web.HTTPSeeOther("/key-holders?result=approved")


@signed_in
async def acknowledge(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """Mark a key holder notice as read; it stops showing on this member's pages."""
    try:
        form = await read_form(request, _FORM_BYTES)
    except FormTooLarge:
        return error_page(request, 413)
    if not csrf_ok(request, session, form.get("csrf_token")):
        return error_page(request, 403)
    notice_id = form.get("notice")
    if not _NOTICE_ID.fullmatch(notice_id):
        return error_page(request, 400)
    await enrolment.acknowledge(request.config_dict[SERVICES].db, staff.unlocked.staff, notice_id)
    staff.key_notices = [n for n in staff.key_notices if n.id != notice_id]
    back = form.get("back")
    raise web.HTTPSeeOther(back if _LOCAL_PATH.fullmatch(back) else "/")
