"""Reporter site handlers: parse, call a use case, render or redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from dropbox_server.clock import today
from dropbox_server.conduct import CONDUCT_KINDS, DESK_REPORTER_STATUS, REPORTER_STATUS
from dropbox_server.csrf import TokenState
from dropbox_server.files.admission import FileAdmission
from dropbox_server.files.disk import StorageFull
from dropbox_server.files.download import FileDamaged, FileNotFound
from dropbox_server.files.upload import Recipients, UploadBatch
from dropbox_server.forces import Force
from dropbox_server.kdf import KdfBusy
from dropbox_server.reports.reporter_access import (
    ReporterThread,
    follow_up_recipients,
    open_with_receipt,
    reporter_follow_up,
    reporter_reply_file,
    reporter_thread,
    withdraw_report,
)
from dropbox_server.reports.routing import desk_routing
from dropbox_server.reports.submission import ReportDraft, RouteUnavailable, new_draft, submit_report
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
from dropbox_server.web.reporter.forms import ALL_FIELDS, FieldError, ReportFormResult, validate_report
from dropbox_server.web.reporter.presession import presession_id, sent_presession_id
from dropbox_server.web.reporter.receipt_once import RECEIPTS_TO_SHOW, RECEIPTS_TYPED
from dropbox_server.web.reporter.session import REPORTER_COOKIE, current_access, lang_query, start_session
from receipt_codes import Receipt, ReceiptFormatError, parse_receipt
from receipt_codes.normalise import MAX_RECEIPT_INPUT


def _too_many(request: web.Request, retry_after: int) -> web.Response:
    page = error_page(request, 429)
    page.headers["Retry-After"] = str(retry_after)
    return page


async def landing(request: web.Request) -> web.Response:
    return render(
        request,
        "reporter/landing.html",
        {
            "via_door": came_through_door(request),
            "at_desk": await desk_routing(request.config_dict[SERVICES].db),
        },
    )


async def _report_page(
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
            "csrf_token": request.config_dict[CSRF].issue(presession_id(request)),
            "limits": request.config_dict[SETTINGS].limits,
            "file_limits": file_limit_values(request.config_dict[SETTINGS]),
            "note": note,
            "files_dropped": dropped,
            "at_desk": await desk_routing(request.config_dict[SERVICES].db),
        },
        status=status,
    )


async def report_form(request: web.Request) -> web.Response:
    forces = await force_choices(request.config_dict[SERVICES].db)
    return await _report_page(request, forces, dict.fromkeys(ALL_FIELDS, ""), {})


async def report_submit(request: web.Request) -> web.Response:
    settings = request.config_dict[SETTINGS]
    services = request.config_dict[SERVICES]
    if declared_too_large(request, settings):
        return too_large_page(request, settings, "total")
    claim = _FormClaim(request)
    admission = _admission(request, claim)
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
            return await _submit_checked(request, form, draft, batch, admission, claim)


class _FormClaim:
    """The report form's single-use token, claimed once (by its admission) for this browser.

    Security: bound to the browser's SameSite=Strict pre-session cookie; a browser that sent
    none gets a new id here, so the form that comes back can be sent.
    """

    def __init__(self, request: web.Request):
        self._csrf = request.config_dict[CSRF]
        self._browser = presession_id(request)
        self.token: str | None = None
        self.state = TokenState.BAD

    def __call__(self, token: str | None) -> bool:
        self.token = token
        self.state = self._csrf.claim(token, self._browser)
        return self.state is TokenState.GOOD

    def release(self) -> None:
        """The claimed form was refused (invalid, busy, disk): it may be sent again as it is."""
        if self.state is TokenState.GOOD:
            self._csrf.release(self.token)


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
    request: web.Request,
    form: FormData,
    draft: ReportDraft,
    batch: UploadBatch,
    admission: FileAdmission,
    claim: _FormClaim,
) -> web.Response:
    settings = request.config_dict[SETTINGS]
    forces = await force_choices(request.config_dict[SERVICES].db)
    result = validate_report(form, settings.limits, {f.unit_id for f in forces})
    dropped = form.file_count > 0

    async def again(status: int, note: str = "", errors: dict[str, FieldError] | None = None) -> web.Response:
        # Nothing typed is lost: the form comes back with every value and a fresh token.
        return await _report_page(
            request, forces, result.values, errors or {}, status=status, note=note, dropped=dropped
        )

    if admission.refused == "throttled":
        return await again(429, "busy")
    if not admission.token_ok(form.get("csrf_token")):
        return await _token_refused(request, forces, claim.state, result, dropped)
    sent = False
    try:
        if form.files_refused in ("busy", "disk"):
            return await again(503, form.files_refused)
        if result.content is None:
            return await again(400, errors=result.errors)
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
            return await again(429, "busy")
        except StorageFull:
            return await again(503, "disk")
        except RouteUnavailable:  # a unit's row was deleted (V3): health is red, nothing kept
            return await again(503, "unavailable")
        sent = True
    finally:
        if not sent:  # the same form may be sent again once its problem is put right
            claim.release()
    handle = request.config_dict[RECEIPTS_TO_SHOW].hold(presession_id(request), receipt, batch.count)
    # Security: a redirect, so a refresh fetches the receipt page instead of re-posting. The
    # handle is random and opens nothing without this browser's pre-session cookie.
    location = f"/receipt?ticket={handle}{lang_query(request, '&')}"
    return web.Response(status=303, headers={"Location": location})


async def _token_refused(
    request: web.Request, forces: list[Force], state: TokenState, result: ReportFormResult, dropped: bool
) -> web.Response:
    """The answer to a report form whose token was spent (409) or bad (403)."""
    if state is TokenState.SPENT:
        # A re-post of a form that was sent (a refresh, the back button): say so plainly.
        return _already_sent(request)
    # Nothing typed is lost: the form comes back with every value and a fresh token, but
    # only to a browser that sent our SameSite=Strict cookie. A post another site started
    # never carries it, and must not leave its own words ready to send under a valid token.
    if sent_presession_id(request) is None:
        return await _report_page(request, forces, dict.fromkeys(ALL_FIELDS, ""), {}, status=403, note="csrf")
    return await _report_page(
        request, forces, result.values, result.errors, status=403, note="csrf", dropped=dropped
    )


def _already_sent(request: web.Request) -> web.Response:
    waiting = request.config_dict[RECEIPTS_TO_SHOW].latest(sent_presession_id(request))
    return render(request, "reporter/already_sent.html", {"receipt_waiting": waiting}, status=409)


async def receipt_page(request: web.Request) -> web.Response:
    """The new receipt, shown once: a refresh afterwards says it is gone, never shows it again."""
    ticket = request.query.get("ticket")
    held = request.config_dict[RECEIPTS_TO_SHOW].take(sent_presession_id(request), ticket)
    if held is None:
        return render(request, "reporter/receipt_gone.html", status=410)
    words = held.receipt.split(" ")
    return render(
        request,
        "reporter/receipt.html",
        {
            "words": words,
            "file_count": held.file_count,
            "at_desk": await desk_routing(request.config_dict[SERVICES].db),
        },
    )


def _check_page(
    request: web.Request,
    *,
    status: int = 200,
    problem: str = "",
    error: ReceiptFormatError | None = None,
    typed: str = "",
) -> web.Response:
    """The receipt form; after a problem it keeps what was typed and marks unknown words.

    Security: what was typed goes back only in this page's body (no-store), never in a URL,
    a cookie or a log.
    """
    problem = problem or request.query.get("result", "")
    if problem == "unknown" and not typed:
        held = request.config_dict[RECEIPTS_TYPED].take(sent_presession_id(request))
        typed = held.receipt if held is not None else ""
    return render(
        request,
        "reporter/check.html",
        {
            "csrf_token": request.config_dict[CSRF].issue(presession_id(request)),
            "problem": problem,
            "unknown_words": error.unknown_words[:3] if error else (),
            "typed_words": error.words if error and len(error.words) <= 20 else (),
            "marked": frozenset(error.unknown_words) if error else frozenset(),
            "typed": typed[:MAX_RECEIPT_INPUT],
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
    typed = form.get("receipt")
    if not request.config_dict[CSRF].check(form.get("csrf_token"), presession_id(request), spend=True):
        # Security: shown back only to a browser that sent our SameSite=Strict cookie. A post
        # another site started never carries it, and a box filled with the attacker's receipt
        # (under a fresh, valid token) would be one click from opening the attacker's report.
        kept = typed if sent_presession_id(request) is not None else ""
        return _check_page(request, status=403, problem="csrf", typed=kept)
    try:
        receipt = parse_receipt(typed, settings.receipt_words)
    except ReceiptFormatError as exc:
        return _check_page(request, status=400, problem=exc.reason, error=exc, typed=typed)
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
        # What was typed waits in memory to be shown back once on the page redirected to.
        request.config_dict[RECEIPTS_TYPED].hold(presession_id(request), Receipt(typed), 0)
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
            "status": (
                DESK_REPORTER_STATUS[found.desk_status]
                if found.desk_status
                else REPORTER_STATUS.get(found.report.outcome, REPORTER_STATUS["new"])
            ),
            "at_desk": found.desk_status is not None,
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
            "csrf_token": request.config_dict[CSRF].issue(presession_id(request)),
            "problem": "expired",
            "unknown_words": (),
            "typed_words": (),
            "marked": frozenset(),
            "typed": "",
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
    recipients = await follow_up_recipients(services.db, found.report)
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
        opened = await reporter_reply_file(services.db, services.files, access, file_id)
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
    # Security: every session of the report ends with it, not only the one that withdrew.
    request.config_dict[SESSIONS].drop_owner(access.report_id)
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
