"""Sign-in, sign-out and replacing an authenticator: parse, call staff_auth, render or redirect."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from markupsafe import Markup

from dropbox_server import audit, totp
from dropbox_server.clock import today
from dropbox_server.custody import enrolment, staff_auth
from dropbox_server.i18n import DEFAULT_LANGUAGE, lazy, translations
from dropbox_server.kdf import KdfBusy
from dropbox_server.sessions import Session, SessionsFull
from dropbox_server.web.appkeys import (
    CLOCKS,
    CSRF,
    DECOY,
    LANG,
    SERVICES,
    SESSIONS,
    SETTINGS,
    SIGN_IN_THROTTLE,
)
from dropbox_server.web.formdata import FormTooLarge, read_form
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.rendering import render
from dropbox_server.web.staff.context import STAFF_COOKIE, StaffSession, staff_session
from dropbox_server.web.staff.pages import csrf_ok, signed_in, staff_page
from dropbox_server.web.staff.roles import landing_for

_FORM_BYTES = 16 * 1024


def _sign_in_page(
    request: web.Request, *, status: int = 200, problem: str = "", username: str = ""
) -> web.Response:
    return render(
        request,
        "investigator/sign_in.html",
        {
            "csrf_token": request.config_dict[CSRF].issue(),
            "problem": problem or request.query.get("result", ""),
            "username": username,
        },
        status=status,
    )


async def home(request: web.Request) -> web.StreamResponse:
    found = staff_session(request)
    raise web.HTTPSeeOther(landing_for(found[1].unlocked.staff.role) if found else "/sign-in")


async def sign_in_form(request: web.Request) -> web.StreamResponse:
    found = staff_session(request)
    if found is not None:
        raise web.HTTPSeeOther(landing_for(found[1].unlocked.staff.role))
    return _sign_in_page(request)


def _too_many(request: web.Request, retry_after: int) -> web.Response:
    page = _sign_in_page(request, status=429, problem="throttled")
    page.headers["Retry-After"] = str(retry_after)
    return page


async def sign_in_submit(request: web.Request) -> web.StreamResponse:
    """One form: username, password and code. Every refusal gets the same words."""
    try:
        form = await read_form(request, _FORM_BYTES)
    except FormTooLarge:
        return error_page(request, 413)
    username = form.get("username").strip()
    if not request.config_dict[CSRF].check(form.get("csrf_token"), spend=True):
        return _sign_in_page(request, status=403, problem="csrf", username=username)
    throttle = request.config_dict[SIGN_IN_THROTTLE]
    if not throttle.try_attempt(username):
        return _too_many(request, throttle.retry_after())
    services = request.config_dict[SERVICES]
    clocks = request.config_dict[CLOCKS]
    try:
        result = await staff_auth.sign_in(
            services.db,
            services.staff_kdf,
            request.config_dict[DECOY].wrapped,
            (username, form.get("password"), form.get("code")),
            clocks.wall(),
            today(),
            raise_to=request.config_dict[SETTINGS].password_kdf,
        )
    except KdfBusy:
        return _too_many(request, 5)
    if result.unlocked is None:
        # Security: one answer for unknown user, wrong password, wrong or reused code.
        return _sign_in_page(request, status=401, problem="refused", username=username)
    notices = await enrolment.open_notices(services.db, result.unlocked.staff)
    doubtful = not await enrolment.notices_trusted(services.db)
    try:
        session = request.config_dict[SESSIONS].create(
            StaffSession(result.unlocked, key_notices=notices, key_notices_doubtful=doubtful)
        )
    except SessionsFull:
        return error_page(request, 503)
    response = web.HTTPSeeOther(landing_for(result.unlocked.staff.role))
    response.set_cookie(STAFF_COOKIE, session.id, path="/", httponly=True, samesite="Strict")
    raise response


@signed_in
async def sign_out(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """Drop the session and every key in it; the cookie goes too."""
    form = await read_form(request, _FORM_BYTES)
    if not csrf_ok(request, session, form.get("csrf_token")):
        return error_page(request, 403)
    request.config_dict[SESSIONS].drop(session.id)
    staff.wipe()
    db = request.config_dict[SERVICES].db
    await audit.record(db, audit.pending("sign_out", staff=staff.unlocked.staff))
    response = web.HTTPSeeOther("/sign-in?result=signed_out")
    response.del_cookie(STAFF_COOKIE, path="/")
    raise response


QR_TITLE = lazy("QR code for your authenticator app")


def qr_title(request: web.Request) -> str:
    """The QR code's accessible name, in the page's language."""
    return translations(request.get(LANG, DEFAULT_LANGUAGE)).gettext(QR_TITLE)


def _authenticator_page(
    request: web.Request, session: Session[Any], staff: StaffSession, *, status: int = 200, problem: str = ""
) -> web.Response:
    done = request.query.get("result") == "replaced" and not problem
    context: dict[str, Any] = {"problem": problem, "done": done, "secret": "", "qr_svg": "", "uri": ""}
    if not done:
        if staff.pending_totp is None:
            staff.pending_totp = totp.new_secret()
        uri = totp.provisioning_uri(staff.pending_totp, staff.unlocked.staff.username)
        context.update(
            secret=staff.pending_totp,
            uri=uri,
            # The SVG is made by segno from our own URI: markup, not user input.
            qr_svg=Markup(totp.qr_svg(uri, qr_title(request))),  # noqa: S704
        )
    return staff_page(request, "investigator/authenticator.html", session, staff, context, status=status)


@signed_in
async def authenticator_form(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    """Show a new secret and its QR code; it replaces the old one only once a code confirms it."""
    return _authenticator_page(request, session, staff)


def _end_other_sessions(request: web.Request, staff: StaffSession) -> int:
    """End every other session of this account and drop the keys in them."""
    staff_id = staff.unlocked.staff.id
    others = request.config_dict[SESSIONS].pop_where(
        lambda p: isinstance(p, StaffSession) and p is not staff and p.unlocked.staff.id == staff_id
    )
    for other in others:
        other.wipe()
    return len(others)


@signed_in
async def authenticator_submit(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    """Replace the authenticator with the password, a current code and a code from the new one.

    Security: throttled with sign-in (the password is checked here too); on success every
    other session of the account ends, so whoever else held one must sign in again.
    """
    form = await read_form(request, _FORM_BYTES)
    if not csrf_ok(request, session, form.get("csrf_token")):
        return _authenticator_page(request, session, staff, status=403, problem="csrf")
    if staff.pending_totp is None:
        return _authenticator_page(request, session, staff, status=400, problem="expired")
    throttle = request.config_dict[SIGN_IN_THROTTLE]
    if not throttle.try_attempt(staff.unlocked.staff.username):
        page = _authenticator_page(request, session, staff, status=429, problem="throttled")
        page.headers["Retry-After"] = str(throttle.retry_after())
        return page
    services = request.config_dict[SERVICES]
    change = staff_auth.AuthenticatorChange(
        staff_id=staff.unlocked.staff.id,
        password=form.get("password"),
        current_code=form.get("current_code"),
        new_secret=staff.pending_totp,
        new_code=form.get("code"),
    )
    try:
        failure = await staff_auth.replace_authenticator(
            services.db, services.staff_kdf, change, request.config_dict[CLOCKS].wall(), today()
        )
    except KdfBusy:
        return _authenticator_page(request, session, staff, status=429, problem="throttled")
    if failure == "wrong_new_code":
        return _authenticator_page(request, session, staff, status=400, problem="wrong_code")
    if failure:
        return _authenticator_page(request, session, staff, status=400, problem="not_you")
    staff.pending_totp = None
    _end_other_sessions(request, staff)
    raise web.HTTPSeeOther("/account/authenticator?result=replaced")
