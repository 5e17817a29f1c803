"""Enrolling with a code: the newcomer's own password, authenticator and key (no sign-in yet).

Security: the code from security staff opens a short server-side session (memory only) that
holds the code and a new authenticator secret; the newcomer chooses their password there and
the key pair is made by custody/redemption.py in the KDF pool. Nothing they choose passes
through security staff. Attempts are throttled with sign-in; every form carries a CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from markupsafe import Markup

from dropbox_server import totp
from dropbox_server.clock import today
from dropbox_server.custody import redemption
from dropbox_server.kdf import KdfBusy
from dropbox_server.sessions import Session, SessionsFull
from dropbox_server.web.appkeys import CLOCKS, CSRF, SERVICES, SESSIONS, SETTINGS, SIGN_IN_THROTTLE
from dropbox_server.web.formdata import FormTooLarge, read_form
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.rendering import render
from dropbox_server.web.staff.auth_views import qr_title
from dropbox_server.web.staff.pages import csrf_ok

ENROL_COOKIE = "tipdrop_enrol"
_FORM_BYTES = 8 * 1024
# Code attempts are bounded by the overall sign-in bucket (a code is 120 bits: guessing is
# hopeless, so this bounds the work and audit entries a flood makes); each code typed has its
# own small bucket, so wrong codes never lock a newcomer out of theirs. The account step is
# throttled per username, as sign-in is.
_CODE_KEY = "(enrolment code) "


@dataclass(repr=False)
class EnrolmentInProgress:
    """A redeemable code and the authenticator secret made for it, until the newcomer finishes."""

    code: str
    username: str
    role: str
    unit_id: str
    totp_secret: str

    def __repr__(self) -> str:
        return f"EnrolmentInProgress({self.username})"


def _code_page(request: web.Request, *, status: int = 200, problem: str = "") -> web.Response:
    context = {
        "csrf_token": request.config_dict[CSRF].issue(),
        "problem": problem or request.query.get("result", ""),
    }
    return render(request, "investigator/enrol_code.html", context, status=status)


def _in_progress(request: web.Request) -> Session[Any] | None:
    session = request.config_dict[SESSIONS].get(request.cookies.get(ENROL_COOKIE))
    return session if session is not None and isinstance(session.payload, EnrolmentInProgress) else None


def _account_page(
    request: web.Request, session: Session[Any], *, status: int = 200, problem: str = ""
) -> web.Response:
    p: EnrolmentInProgress = session.payload
    uri = totp.provisioning_uri(p.totp_secret, p.username)
    context = {
        "csrf_token": request.config_dict[CSRF].issue(session.csrf_secret),
        "problem": problem,
        "username": p.username,
        "role": p.role,
        "unit_id": p.unit_id,
        "secret": p.totp_secret,
        # The SVG is made by segno from our own URI: markup, not user input.
        "qr_svg": Markup(totp.qr_svg(uri, qr_title(request))),  # noqa: S704
    }
    return render(request, "investigator/enrol_account.html", context, status=status)


async def code_form(request: web.Request) -> web.StreamResponse:
    """Ask for the enrolment code security staff handed over."""
    return _code_page(request)


async def code_submit(request: web.Request) -> web.StreamResponse:
    """Check the code; a good one opens a short session to choose the password and authenticator."""
    try:
        form = await read_form(request, _FORM_BYTES)
    except FormTooLarge:
        return error_page(request, 413)
    if not request.config_dict[CSRF].check(form.get("csrf_token"), spend=True):
        return _code_page(request, status=403, problem="csrf")
    throttle = request.config_dict[SIGN_IN_THROTTLE]
    if not throttle.try_attempt(_CODE_KEY + form.get("code").strip()[:48]):
        page = _code_page(request, status=429, problem="throttled")
        page.headers["Retry-After"] = str(throttle.retry_after())
        return page
    db = request.config_dict[SERVICES].db
    pending = await redemption.open_code(db, form.get("code"), today())
    if pending is None:
        await redemption.refuse_code(db)
        return _code_page(request, status=400, problem="bad_code")
    progress = EnrolmentInProgress(
        form.get("code"), pending.username, pending.role, pending.unit_id, totp.new_secret()
    )
    try:
        session = request.config_dict[SESSIONS].create(progress)
    except SessionsFull:
        return error_page(request, 503)
    response = web.HTTPSeeOther("/enrol/account")
    response.set_cookie(ENROL_COOKIE, session.id, path="/enrol", httponly=True, samesite="Strict")
    raise response


async def account_form(request: web.Request) -> web.StreamResponse:
    """Choose a password and set up the authenticator (QR code and secret)."""
    session = _in_progress(request)
    if session is None:
        raise web.HTTPSeeOther("/enrol?result=expired")
    return _account_page(request, session)


async def account_submit(request: web.Request) -> web.StreamResponse:
    """Make the newcomer's key (custody/redemption.py) and show its fingerprint to read out."""
    session = _in_progress(request)
    if session is None:
        raise web.HTTPSeeOther("/enrol?result=expired")
    try:
        form = await read_form(request, _FORM_BYTES)
    except FormTooLarge:
        return error_page(request, 413)
    if not csrf_ok(request, session, form.get("csrf_token")):
        return _account_page(request, session, status=403, problem="csrf")
    p: EnrolmentInProgress = session.payload
    throttle = request.config_dict[SIGN_IN_THROTTLE]
    if not throttle.try_attempt(p.username):
        return _account_page(request, session, status=429, problem="throttled")
    choice = redemption.Choice(
        form.get("password"), form.get("password_again"), p.totp_secret, form.get("code")
    )
    services = request.config_dict[SERVICES]
    try:
        done = await redemption.redeem(
            services.db, services.staff_kdf, p.code, choice, request.config_dict[SETTINGS].password_kdf,
            now=request.config_dict[CLOCKS].wall(), day=today(),
        )
    except KdfBusy:
        return _account_page(request, session, status=429, problem="throttled")
    except redemption.RedemptionRefused as exc:
        if exc.reason != "bad_code":
            return _account_page(request, session, status=400, problem=exc.reason)
        request.config_dict[SESSIONS].drop(session.id)
        return _code_page(request, status=400, problem="bad_code")
    request.config_dict[SESSIONS].drop(session.id)
    # Shown here, not after a redirect: the fingerprint stays out of URLs and history.
    response = render(request, "investigator/enrol_done.html", {"done": done})
    response.del_cookie(ENROL_COOKIE, path="/enrol")
    return response
