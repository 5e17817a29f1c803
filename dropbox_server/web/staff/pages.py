"""Rendering investigator pages: the signed-in frame, refusals and the signed-out answer."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from dropbox_server.custody import directory
from dropbox_server.reports.access import CaseNotFound, RoleNotAllowed
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import CSRF, SERVICES, SESSIONS
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.rendering import render
from dropbox_server.web.staff.context import SignedOut, StaffSession, require_staff
from dropbox_server.web.staff.roles import ROLE_GUIDES

StaffHandler = Callable[[web.Request, Session[Any], StaffSession], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def staff_page(
    request: web.Request,
    template: str,
    session: Session[Any],
    staff: StaffSession,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """A page inside the signed-in frame: who is signed in, navigation, a session CSRF token."""
    values = {
        "me": staff.unlocked.staff,
        "key_notices": staff.key_notices,
        "key_notices_doubtful": staff.key_notices_doubtful,
        "here": request.path_qs,
        "role_guide": ROLE_GUIDES.get(staff.unlocked.staff.role),
        "csrf_token": request.config_dict[CSRF].issue(session.csrf_secret),
        **(context or {}),
    }
    return render(request, template, values, status=status)


def forbidden(request: web.Request, session: Session[Any], staff: StaffSession) -> web.Response:
    """403 for a page the viewer's role does not open: it names their role and what they can do."""
    return staff_page(request, "investigator/forbidden.html", session, staff, status=403)


def signed_out(request: web.Request) -> web.StreamResponse:
    """GET: back to sign-in. A form posted after expiry: 401 with the sign-in page, so it says why."""
    if request.method == "GET":
        raise web.HTTPSeeOther("/sign-in?result=expired")
    return render(
        request,
        "investigator/sign_in.html",
        {"csrf_token": request.config_dict[CSRF].issue(), "problem": "expired", "username": ""},
        status=401,
    )


def signed_in(handler: StaffHandler) -> Handler:
    """Run `handler` with the staff session; answer signed-out, 403 and 404 in one place.

    Security: every handler behind this gets a live, unexpired session or never runs; a
    report outside the caller's unit is a 404, the same as one that does not exist.
    """

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            session, staff = require_staff(request)
        except SignedOut:
            return signed_out(request)
        if not await directory.account_unchanged(request.config_dict[SERVICES].db, staff.unlocked.staff):
            staff.wipe()
            request.config_dict[SESSIONS].drop(session.id)
            return signed_out(request)
        try:
            return await handler(request, session, staff)
        except RoleNotAllowed:
            return forbidden(request, session, staff)
        except CaseNotFound:
            return error_page(request, 404)

    return wrapper


def csrf_ok(request: web.Request, session: Session[Any], token: str) -> bool:
    """Every POST inside a session carries a token bound to that session."""
    return request.config_dict[CSRF].check(token, session.csrf_secret)
