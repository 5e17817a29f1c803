"""Reporter site handlers: parse, call a use case, render or redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from dropbox_server.clock import today
from dropbox_server.conduct import CONDUCT_KINDS, REPORTER_STATUS
from dropbox_server.files.admission import FileAdmission
from dropbox_server.files.disk import StorageFull
from dropbox_server.files.download import FileDamaged, FileNotFound
from dropbox_server.files.upload import Recipients, UploadBatch
from dropbox_server.forces import Force
from dropbox_server.kdf import KdfBusy
from dropbox_server.reports.reporter_access import (
    ReporterThread,
    open_with_receipt,
    reporter_file,
    reporter_follow_up,
    reporter_thread,
    withdraw_report,
)
from dropbox_server.reports.submission import ReportDraft, new_draft, submit_report
from dropbox_server.reports.unit_choices import force_choices
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import (
    CSRF,
    RECEIPT_THROTTLE,
    SERVICES,
    SESSIONS,
    SETTINGS,
    SUBMIT_THROTTLE,
    UPLOAD_GATE,
)
from dropbox_server.web.formdata import FormData, FormTooLarge, read_form
from dropbox_server.web.http_files import (
    damaged_page,
    declared_too_large,
    file_limit_values,
    stream_file,
    too_large_page,
    upload_cap,
)
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.rendering import render
from dropbox_server.web.reporter.door import came_through_door
from dropbox_server.web.reporter.forms import ALL_FIELDS, FieldError, validate_report
from dropbox_server.web.reporter.session import REPORTER_COOKIE, current_access, lang_query, start_session
from receipt_codes import ReceiptFormatError, parse_receipt, receipt_entropy_bits


def _too_many(request: web.Request, retry_after: int) -> web.Response:
    page = error_page(request, 429)
    page.headers["Retry-After"] = str(retry_after)
    return page


async def landing(request: web.Request) -> web.Response:
    return render(request, "reporter/landing.html", {"via_door": came_through_door(request)})


def _report_page(
    request: web.Request,
    forces: list[Force],
    values: dict[str, str],
    errors: dict,  # type: ignore[type-arg]
    *,
    status: int = 200,
    note: str = "",
    dropped: bool = False,
) -> web.Response:
    return render(
        request,
        "reporter/report.html",
        {
            "forces": forces,
            "conduct_kinds": CONDUCT_KINDS,
            "values": values,
            "errors": errors,
            "csrf_token": request.config_dict[CSRF].issue(),
            "limits": request.config_dict[SETTINGS].limits,
            "file_limits": file_limit_values(request.config_dict[SETTINGS]),
            "note": note,
            "files_dropped": dropped,
        },
        status=status,
    )


async def report_form(request: web.Request) -> web.Response:
    forces = await force_choices(request.config_dict[SERVICES].db)
    return _report_page(request, forces, dict.fromkeys(ALL_FIELDS, ""), {})


async def report_submit(request: web.Request) -> web.Response:
    settings = request.config_dict[SETTINGS]
    services = request.config_dict[SERVICES]
    if declared_too_large(request, settings):
        return too_large_page(request, settings, "total")
    admission = _admission(request, lambda token: request.config_dict[CSRF].check(token, spend=True))
    draft = new_draft()
    # Security: files are encrypted to the draft's key as they arrive, once admitted (token,
    # throttle, space); leaving this block without a commit (a refusal, an error, a
    # disconnect) removes every one of them.
    recipients = Recipients(draft.id, draft.keys.public)
    with admission:
        async with UploadBatch(services.files, recipients, settings.files) as batch:
            try:
                form = await read_form(
                    request, settings.limits.form_body_bytes, files=batch, admission=admission
                )
            except FormTooLarge as exc:
                return too_large_page(request, settings, exc.limit)
            return await _submit_checked(request, form, draft, batch, admission)


def _admission(request: web.Request, token_ok: Callable[[str], bool]) -> FileAdmission:
    """Take the submission throttle before any byte of the body is read; admit files later.

    Security: a throttled request still has its text read (to give it back) but none of
    its files is written.
    """
    gate = request.config_dict[UPLOAD_GATE]
    if not request.config_dict[SUBMIT_THROTTLE].try_take():
        return gate.refusing("throttled", token_ok)
    return gate.request(request.content_length or upload_cap(request.config_dict[SETTINGS]), token_ok)


async def _submit_checked(
    request: web.Request, form: FormData, draft: ReportDraft, batch: UploadBatch, admission: FileAdmission
) -> web.Response:
    settings = request.config_dict[SETTINGS]
    forces = await force_choices(request.config_dict[SERVICES].db)
    result = validate_report(form, settings.limits, {f.unit_id for f in forces})
    dropped = form.file_count > 0

    def again(status: int, note: str = "", errors: dict[str, FieldError] | None = None) -> web.Response:
        # Nothing typed is lost: the form comes back with every value and a fresh token.
        return _report_page(
            request, forces, result.values, errors or {}, status=status, note=note, dropped=dropped
        )

    if admission.refused == "throttled":
        return again(429, "busy")
    if not admission.token_ok(form.get("csrf_token")):
        return again(403, "csrf", result.errors)
    if form.files_refused in ("busy", "disk"):
        return again(503, form.files_refused)
    if result.content is None:
        return again(400, errors=result.errors)
    services = request.config_dict[SERVICES]
    try:
        receipt = await submit_report(
            services.db,
            services.receipts,
            result.content,
            result.contact,
            "online",
            today(),
            draft=draft,
            attachments=batch,
        )
    except KdfBusy:
        return again(429, "busy")
    except StorageFull:
        return again(503, "disk")
    words = receipt.split(" ")
    return render(
        request,
        "reporter/receipt.html",
        {"words": words, "bits": int(receipt_entropy_bits(len(words))), "file_count": batch.count},
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


def _thread_page(
    request: web.Request,
    session: Session[Any],
    found: ReporterThread,
    *,
    errors: dict[str, str] | None = None,
    message: str = "",
    sent: bool = False,
    status: int = 200,
    dropped: bool = False,
    withdraw_requested: bool = False,
) -> web.Response:
    settings = request.config_dict[SETTINGS]
    return render(
        request,
        "reporter/thread.html",
        {
            "by_phone": found.report.channel == "phone",
            "withdraw_requested": withdraw_requested,
            "thread": found,
            "status": REPORTER_STATUS.get(found.report.outcome, REPORTER_STATUS["new"]),
            "conduct": CONDUCT_KINDS.get(found.report.conduct, ""),
            "csrf_token": request.config_dict[CSRF].issue(session.csrf_secret),
            "sent": sent,
            "sent_files": _int_query(request, "files"),
            "limit": settings.limits.message_chars,
            "file_limits": file_limit_values(settings),
            "errors": errors or {},
            "message": message,
            "files_dropped": dropped,
        },
        status=status,
    )


def _int_query(request: web.Request, name: str) -> int:
    value = request.query.get(name, "")
    return int(value) if value.isdigit() and len(value) < 4 else 0


async def thread(request: web.Request) -> web.StreamResponse:
    session, access = current_access(request)
    services = request.config_dict[SERVICES]
    found = await reporter_thread(services.db, access, services.files)
    if found is None:
        request.config_dict[SESSIONS].drop(session.id)
        raise web.HTTPSeeOther(f"/check?result=unknown{lang_query(request, '&')}")
    return _thread_page(
        request,
        session,
        found,
        sent=request.query.get("sent") == "1",
        withdraw_requested=request.query.get("withdraw") == "requested",
    )


async def _expired_with_message(request: web.Request) -> web.Response:
    """The session expired while they typed: show the message back so nothing is lost.

    Attached files are read and thrown away unstored: there is no report to attach them to.
    """
    settings = request.config_dict[SETTINGS]
    try:
        form = await read_form(request, settings.limits.form_body_bytes)
    except FormTooLarge:
        return too_large_page(request, settings, "body")
    text = form.get("message").replace("\r\n", "\n")
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
        status=401,
    )


async def thread_message(request: web.Request) -> web.StreamResponse:
    settings = request.config_dict[SETTINGS]
    services = request.config_dict[SERVICES]
    try:
        session, access = current_access(request)
    except web.HTTPSeeOther:
        return await _expired_with_message(request)
    if declared_too_large(request, settings):
        return too_large_page(request, settings, "total")
    found = await reporter_thread(services.db, access, services.files)
    if found is None:
        raise web.HTTPSeeOther(f"/check?result=unknown{lang_query(request, '&')}")
    recipients = Recipients(found.report.id, found.report.report_public_key)
    csrf = request.config_dict[CSRF]
    admission = request.config_dict[UPLOAD_GATE].request(
        request.content_length or upload_cap(settings), lambda token: csrf.check(token, session.csrf_secret)
    )
    with admission:
        async with UploadBatch(services.files, recipients, settings.files) as batch:
            try:
                form = await read_form(
                    request, settings.limits.form_body_bytes, files=batch, admission=admission
                )
            except FormTooLarge as exc:
                return too_large_page(request, settings, exc.limit)
            text = form.get("message").replace("\r\n", "\n")
            problem = _message_problem(request, admission, form, text, batch.count)
            if not problem:
                try:
                    await reporter_follow_up(services.db, access, text.strip(), today(), batch)
                except StorageFull:
                    problem = "disk"
            if problem:
                return _thread_page(
                    request,
                    session,
                    found,
                    errors={"message": problem},
                    message=text,
                    status=_PROBLEM_STATUS.get(problem, 400),
                    dropped=form.file_count > 0,
                )
    files = f"&files={batch.count}" if batch.count else ""
    raise web.HTTPSeeOther(f"/thread?sent=1{files}{lang_query(request, '&')}")


_PROBLEM_STATUS = {"csrf": 403, "busy": 503, "disk": 503}


def _message_problem(
    request: web.Request, admission: FileAdmission, form: FormData, text: str, files: int
) -> str:
    """What is wrong with a follow-up, or "" when it can be sent (files alone are enough)."""
    limit = request.config_dict[SETTINGS].limits.message_chars
    if not admission.token_ok(form.get("csrf_token")):
        return "csrf"
    if form.files_refused in ("busy", "disk"):
        return form.files_refused
    if not text.strip() and not files:
        return "empty"
    if len(text) > limit:
        return "too_long"
    if "message" in form.bad_encoding:
        return "encoding"
    return ""


async def thread_file(request: web.Request) -> web.StreamResponse:
    """A file attached to one of the unit's replies, decrypted with the reporter's key."""
    _session, access = current_access(request)
    services = request.config_dict[SERVICES]
    file_id = request.match_info["file_id"]
    try:
        opened = await reporter_file(
            services.db, services.files, access.report_id, access.report_seq, access.private_key, file_id
        )
    except FileNotFound:
        return error_page(request, 404)
    except FileDamaged:
        return damaged_page(request, f"/thread{lang_query(request, '?')}")
    return await stream_file(request, opened, f"/thread{lang_query(request, '?')}")


async def withdraw_form(request: web.Request) -> web.StreamResponse:
    """Ask before deleting: what goes, what the unit keeps, and that it cannot be undone.

    For a report taken by phone the page offers a withdrawal request instead.
    """
    session, access = current_access(request)
    found = await reporter_thread(request.config_dict[SERVICES].db, access)
    if found is None:
        raise web.HTTPSeeOther(f"/check?result=unknown{lang_query(request, '&')}")
    csrf = request.config_dict[CSRF].issue(session.csrf_secret)
    context = {"csrf_token": csrf, "problem": "", "by_phone": found.report.channel == "phone"}
    return render(request, "reporter/withdraw.html", context)


async def withdraw_submit(request: web.Request) -> web.StreamResponse:
    """Delete the reporter's report once they confirmed (or, by phone, ask the unit to)."""
    session, access = current_access(request)
    try:
        form = await read_form(request, 16 * 1024)
    except FormTooLarge:
        return error_page(request, 413)
    csrf = request.config_dict[CSRF]
    token_ok = csrf.check(form.get("csrf_token"), session.csrf_secret)
    services = request.config_dict[SERVICES]
    if not token_ok or form.get("confirm") != "yes":
        problem = "confirm" if token_ok else "csrf"
        found = await reporter_thread(services.db, access)
        by_phone = found is not None and found.report.channel == "phone"
        context = {"csrf_token": csrf.issue(session.csrf_secret), "problem": problem, "by_phone": by_phone}
        return render(request, "reporter/withdraw.html", context, status=403 if problem == "csrf" else 400)
    outcome = await withdraw_report(services.db, services.files, access, today())
    if outcome == "requested":
        raise web.HTTPSeeOther(f"/thread?withdraw=requested{lang_query(request, '&')}")
    request.config_dict[SESSIONS].drop(session.id)
    response = web.HTTPSeeOther(f"/withdrawn{lang_query(request, '?')}")
    response.del_cookie(REPORTER_COOKIE, path="/")
    raise response


async def withdrawn(request: web.Request) -> web.Response:
    return render(request, "reporter/withdrawn.html")


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
