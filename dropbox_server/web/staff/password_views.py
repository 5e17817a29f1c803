"""Changing one's own password on the staff site: parse, call staff_auth, render or redirect.

Security: throttled with sign-in (the current password is checked); the new one must score 4
with zxcvbn, and a generated passphrase is offered on the page.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dropbox_server import passwords
from dropbox_server.custody import staff_auth
from dropbox_server.kdf import KdfBusy
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import SERVICES, SETTINGS, SIGN_IN_THROTTLE
from dropbox_server.web.formdata import FormTooLarge, read_form
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.pages import csrf_ok, signed_in, staff_page

_FORM_BYTES = 8 * 1024
_STATUS = {"csrf": 403, "throttled": 429}


def _page(
    request: web.Request, session: Session[Any], staff: StaffSession, *, problem: str = ""
) -> web.Response:
    context = {
        "problem": problem,
        "done": request.query.get("result") == "changed" and not problem,
        "suggestion": passwords.generated_passphrase(),
    }
    status = _STATUS.get(problem, 400) if problem else 200
    return staff_page(request, "investigator/password.html", session, staff, context, status=status)


@signed_in
async def password_form(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    return _page(request, session, staff)


@signed_in
async def password_submit(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    """Check the current password and re-wrap the key under a strong new one."""
    try:
        form = await read_form(request, _FORM_BYTES)
    except FormTooLarge:
        return error_page(request, 413)
    if not csrf_ok(request, session, form.get("csrf_token")):
        return _page(request, session, staff, problem="csrf")
    throttle = request.config_dict[SIGN_IN_THROTTLE]
    if not throttle.try_attempt(staff.unlocked.staff.username):
        page = _page(request, session, staff, problem="throttled")
        page.headers["Retry-After"] = str(throttle.retry_after())
        return page
    services = request.config_dict[SERVICES]
    change = staff_auth.PasswordChange(
        staff.unlocked.staff.id, form.get("current"), form.get("new"), form.get("again")
    )
    try:
        failure = await staff_auth.change_own_password(
            services.db, services.staff_kdf, change, request.config_dict[SETTINGS].password_kdf
        )
    except KdfBusy:
        return _page(request, session, staff, problem="throttled")
    if failure:
        return _page(request, session, staff, problem=failure)
    raise web.HTTPSeeOther("/account/password?result=changed")
