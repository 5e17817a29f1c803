"""Reporter site handlers: parse, call a use case, render or redirect."""

from __future__ import annotations

from aiohttp import web

from dropbox_server.appkeys import CSRF, RECEIPT_THROTTLE, SERVICES, SESSIONS, SETTINGS, SUBMIT_THROTTLE
from dropbox_server.clock import today
from dropbox_server.conduct import CONDUCT_KINDS, REPORTER_STATUS
from dropbox_server.forces import FORCES
from dropbox_server.formdata import FormTooLarge, read_form
from dropbox_server.kdf import KdfBusy
from dropbox_server.middlewares import error_page
from dropbox_server.rendering import render
from dropbox_server.reporter.forms import ALL_FIELDS, validate_report
from dropbox_server.reporter.session import REPORTER_COOKIE, current_access, lang_query, start_session
from dropbox_server.reports.reporter_access import open_with_receipt, reporter_follow_up, reporter_thread
from dropbox_server.reports.submit import submit_report
from receipt_codes import ReceiptFormatError, parse_receipt, receipt_entropy_bits


def _too_many(request: web.Request, retry_after: int) -> web.Response:
    page = error_page(request, 429)
    page.headers["Retry-After"] = str(retry_after)
    return page


async def landing(request: web.Request) -> web.Response:
    return render(request, "reporter/landing.html")


def _report_page(
    request: web.Request, values: dict[str, str], errors: dict, *, status: int = 200, note: str = ""
) -> web.Response:  # type: ignore[type-arg]
    return render(
        request,
        "reporter/report.html",
        {
            "forces": FORCES,
            "conduct_kinds": CONDUCT_KINDS,
            "values": values,
            "errors": errors,
            "csrf_token": request.config_dict[CSRF].issue(),
            "limits": request.config_dict[SETTINGS].limits,
            "note": note,
        },
        status=status,
    )


async def report_form(request: web.Request) -> web.Response:
    return _report_page(request, dict.fromkeys(ALL_FIELDS, ""), {})


async def report_submit(request: web.Request) -> web.Response:
    settings = request.config_dict[SETTINGS]
    try:
        form = await read_form(request, settings.limits.form_body_bytes)
    except FormTooLarge:
        return error_page(request, 413)
    result = validate_report(form, settings.limits)
    if not request.config_dict[CSRF].check(form.get("csrf_token"), spend=True):
        # Nothing is lost: the form comes back with every value and a fresh token.
        return _report_page(request, result.values, result.errors, status=403, note="csrf")
    if result.content is None:
        return _report_page(request, result.values, result.errors, status=400)
    throttle = request.config_dict[SUBMIT_THROTTLE]
    if not throttle.try_take():
        return _report_page(request, result.values, {}, status=429, note="busy")
    services = request.config_dict[SERVICES]
    try:
        receipt = await submit_report(
            services.db, services.receipts, result.content, result.contact, "online", today()
        )
    except KdfBusy:
        return _report_page(request, result.values, {}, status=429, note="busy")
    words = receipt.split(" ")
    return render(
        request, "reporter/receipt.html", {"words": words, "bits": int(receipt_entropy_bits(len(words)))}
    )


def _check_page(
    request: web.Request, *, status: int = 200, problem: str = "", unknown: tuple[str, ...] = ()
) -> web.Response:
    return render(
        request,
        "reporter/check.html",
        {
            "csrf_token": request.config_dict[CSRF].issue(),
            "problem": problem or request.query.get("result", ""),
            "unknown_words": unknown,
            "word_count": request.config_dict[SETTINGS].receipt_words,
        },
        status=status,
    )


async def check_form(request: web.Request) -> web.Response:
    return _check_page(request)


async def check_submit(request: web.Request) -> web.StreamResponse:
    settings = request.config_dict[SETTINGS]
    try:
        form = await read_form(request, 16 * 1024)
    except FormTooLarge:
        return error_page(request, 413)
    if not request.config_dict[CSRF].check(form.get("csrf_token"), spend=True):
        return _check_page(request, status=403, problem="csrf")
    try:
        receipt = parse_receipt(form.get("receipt"), settings.receipt_words)
    except ReceiptFormatError as exc:
        return _check_page(request, status=400, problem=exc.reason, unknown=exc.unknown_words[:3])
    throttle = request.config_dict[RECEIPT_THROTTLE]
    if not throttle.try_take():
        return _too_many(request, throttle.seconds_until_token())
    services = request.config_dict[SERVICES]
    try:
        access = await open_with_receipt(services.db, services.receipts, receipt)
    except KdfBusy:
        return _too_many(request, 5)
    if access is None:
        # Security: one response for every receipt that opens nothing, whatever the reason.
        raise web.HTTPSeeOther(f"/check?result=unknown{lang_query(request, '&')}")
    start_session(request, access)


async def thread(request: web.Request) -> web.StreamResponse:
    session, access = current_access(request)
    services = request.config_dict[SERVICES]
    found = await reporter_thread(services.db, access)
    if found is None:
        request.config_dict[SESSIONS].drop(session.id)
        raise web.HTTPSeeOther(f"/check?result=unknown{lang_query(request, '&')}")
    return render(
        request,
        "reporter/thread.html",
        {
            "thread": found,
            "status": REPORTER_STATUS.get(found.report.outcome, REPORTER_STATUS["new"]),
            "conduct": CONDUCT_KINDS.get(found.report.conduct, ""),
            "csrf_token": request.config_dict[CSRF].issue(session.csrf_secret),
            "sent": request.query.get("sent") == "1",
            "limit": request.config_dict[SETTINGS].limits.message_chars,
            "errors": {},
            "message": "",
        },
    )


async def thread_message(request: web.Request) -> web.StreamResponse:
    settings = request.config_dict[SETTINGS]
    try:
        form = await read_form(request, settings.limits.form_body_bytes)
    except FormTooLarge:
        return error_page(request, 413)
    text = form.get("message").replace("\r\n", "\n")
    try:
        session, access = current_access(request)
    except web.HTTPSeeOther:
        # The session expired while they typed: show the message back so nothing is lost.
        page = _check_page(request, status=401, problem="expired")
        return render(
            request,
            "reporter/check.html",
            {
                "csrf_token": request.config_dict[CSRF].issue(),
                "problem": "expired",
                "unknown_words": (),
                "word_count": settings.receipt_words,
                "kept_message": text[: settings.limits.message_chars * 2],
            },
            status=page.status,
        )
    csrf = request.config_dict[CSRF]
    problem = ""
    if not csrf.check(form.get("csrf_token"), session.csrf_secret):
        problem = "csrf"
    elif not text.strip():
        problem = "empty"
    elif len(text) > settings.limits.message_chars:
        problem = "too_long"
    elif "message" in form.bad_encoding:
        problem = "encoding"
    if problem:
        found = await reporter_thread(request.config_dict[SERVICES].db, access)
        if found is None:
            raise web.HTTPSeeOther(f"/check?result=unknown{lang_query(request, '&')}")
        return render(
            request,
            "reporter/thread.html",
            {
                "thread": found,
                "status": REPORTER_STATUS.get(found.report.outcome, REPORTER_STATUS["new"]),
                "conduct": CONDUCT_KINDS.get(found.report.conduct, ""),
                "csrf_token": csrf.issue(session.csrf_secret),
                "sent": False,
                "limit": settings.limits.message_chars,
                "errors": {"message": problem},
                "message": text,
            },
            status=403 if problem == "csrf" else 400,
        )
    await reporter_follow_up(request.config_dict[SERVICES].db, access, text.strip(), today())
    raise web.HTTPSeeOther(f"/thread?sent=1{lang_query(request, '&')}")


async def logout(request: web.Request) -> web.StreamResponse:
    try:
        form = await read_form(request, 16 * 1024)
    except FormTooLarge:
        return error_page(request, 413)
    sessions = request.config_dict[SESSIONS]
    session = sessions.get(request.cookies.get(REPORTER_COOKIE))
    if session is not None:
        if not request.config_dict[CSRF].check(form.get("csrf_token"), session.csrf_secret):
            return error_page(request, 403)
        sessions.drop(session.id)
    response = web.HTTPSeeOther(f"/{lang_query(request, '?')}")
    response.del_cookie(REPORTER_COOKIE, path="/")
    raise response
