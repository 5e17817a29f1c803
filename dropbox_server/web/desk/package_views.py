"""The desk's package pages: draft, edit, submit, and a second member's approve or reject.

Thin views: parse the form, call one use case in reports/packages.py, render or redirect.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dropbox_server.clock import today
from dropbox_server.conduct import CONDUCT_KINDS
from dropbox_server.custody import directory
from dropbox_server.forces import FORCES_BY_ID
from dropbox_server.reports import package_files, packages
from dropbox_server.reports.access import CaseNotFound
from dropbox_server.reports.case_file import open_case
from dropbox_server.reports.package_content import (
    ASSESSMENTS,
    HANDLING_CODES,
    SOURCE_EVALUATIONS,
    form_values,
)
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import SERVICES, SETTINGS
from dropbox_server.web.formdata import FormData, FormTooLarge, read_form
from dropbox_server.web.middlewares import error_page
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.pages import csrf_ok, signed_in, staff_page

PACKAGE_FIELDS = (
    "conduct", "subject_name", "subject_role", "collar_number", "station", "when", "where",
    "summary", "source_evaluation", "assessment", "handling", "handling_conditions", "risk",
    "conflict_override",
)  # fmt: skip


async def _receiving_units(request: web.Request) -> dict[str, str]:
    """Units a package can go to: every force unit and the hub, never the desk."""
    return dict(await directory.receiving_units(request.config_dict[SERVICES].db))


def _draft_id(request: web.Request) -> int:
    raw = request.match_info["draft_id"]
    if not raw.isdigit() or len(raw) > 19:
        raise CaseNotFound(raw)
    return int(raw)


async def csrf_form(request: web.Request, session: Session[Any]) -> FormData | None:
    """The posted form if its session CSRF token is good; None otherwise."""
    try:
        form = await read_form(request, request.config_dict[SETTINGS].limits.form_body_bytes)
    except FormTooLarge:
        raise web.HTTPRequestEntityTooLarge(max_size=0, actual_size=0) from None
    return form if csrf_ok(request, session, form.get("csrf_token")) else None


def _values(form: FormData) -> dict[str, str]:
    return {name: form.get(name) for name in PACKAGE_FIELDS}


def _chosen(form: FormData) -> list[str]:
    """The ticked files (ids); the use case checks each is the report's and can be cleaned."""
    return form.fields.getall("package_files", [])


async def _form_page(
    request: web.Request,
    session: Session[Any],
    staff: StaffSession,
    *,
    report_id: str,
    values: dict[str, str],
    errors: dict[str, str],
    to_unit: str,
    draft_id: int | None = None,
    update_of: str = "",
    chosen: tuple[str, ...] = (),
    status: int = 200,
) -> web.Response:
    """The package form beside the original report, so the analyst writes from it."""
    services = request.config_dict[SERVICES]
    db = services.db
    case = await open_case(db, staff.unlocked, report_id)
    content = case.opened.content
    context = {
        "source_files": await package_files.source_files(db, services.files, staff.unlocked, report_id),
        "chosen": set(chosen),
        "problem": "",
        "case": case,
        "report": case.opened.report,
        "content": content,
        "force_name": FORCES_BY_ID[content.force].name if content.force in FORCES_BY_ID else "",
        "values": values,
        "errors": errors,
        "to_unit": to_unit,
        "draft_id": draft_id,
        "update_of": update_of,
        "units": await _receiving_units(request),
        "conduct_kinds": CONDUCT_KINDS,
        "source_evaluations": SOURCE_EVALUATIONS,
        "assessments": ASSESSMENTS,
        "handling_codes": HANDLING_CODES,
        "contact_allowed": case.opened.report.contact_scope == packages.CONTACT_FOR_FORCE,
    }
    return staff_page(request, "desk/package_form.html", session, staff, context, status=status)


@signed_in
async def new_package(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """GET: an empty package form for the chosen unit (or an update of a delivered package)."""
    packages.require_desk(staff.unlocked)
    report_id = request.match_info["report_id"]
    to_unit = request.query.get("to_unit", "")
    update_of = request.query.get("update", "")
    values = dict.fromkeys(PACKAGE_FIELDS, "")
    return await _form_page(
        request,
        session,
        staff,
        report_id=report_id,
        values=values,
        errors={},
        to_unit=to_unit,
        update_of=update_of,
    )


@signed_in
async def create_package(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    packages.require_desk(staff.unlocked)
    report_id = request.match_info["report_id"]
    form = await csrf_form(request, session)
    if form is None:
        return error_page(request, 403)
    values, to_unit, update_of = _values(form), form.get("to_unit"), form.get("update")
    include_contact = form.get("include_contact") == "yes"
    services = request.config_dict[SERVICES]
    db = services.db
    try:
        if update_of:
            draft_id = await packages.create_update(
                db, staff.unlocked, report_id, update_of, values, include_contact, today()
            )
        else:
            draft_id = await packages.create_draft(
                db, staff.unlocked, report_id, to_unit, values, include_contact, today()
            )
    except packages.PackageError as exc:
        return await _form_page(
            request,
            session,
            staff,
            report_id=report_id,
            values=values,
            errors=exc.fields or {"form": exc.code},
            to_unit=to_unit,
            update_of=update_of,
            chosen=tuple(_chosen(form)),
            status=400,
        )
    try:
        await package_files.choose_files(db, services.files, staff.unlocked, draft_id, _chosen(form))
    except packages.PackageError as exc:
        raise web.HTTPSeeOther(f"/desk/packages/{draft_id}?problem={exc.code}") from None
    raise web.HTTPSeeOther(f"/desk/packages/{draft_id}?done=saved")


async def _draft_page(
    request: web.Request,
    session: Session[Any],
    staff: StaffSession,
    *,
    problem: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    """A draft beside the original report: edit it (its author), or approve or reject it."""
    services = request.config_dict[SERVICES]
    db = services.db
    opened = await packages.open_draft(db, staff.unlocked, _draft_id(request))
    case = await open_case(db, staff.unlocked, opened.source.id)
    content = case.opened.content
    files = await package_files.source_files(
        db, services.files, staff.unlocked, opened.source.id, opened.draft.id
    )
    context = {
        "source_files": files,
        "chosen": {f.opened.row.id for f in files if f.chosen},
        "draft": opened.draft,
        "package": opened.content,
        "rejection": opened.rejection,
        "case": case,
        "report": case.opened.report,
        "content": content,
        "force_name": FORCES_BY_ID[content.force].name if content.force in FORCES_BY_ID else "",
        "values": values if values is not None else form_values(opened.content),
        "errors": errors or {},
        "problem": problem or _PROBLEMS.get(request.query.get("problem", ""), ""),
        "done": request.query.get("done", ""),
        "units": await _receiving_units(request),
        "conduct_kinds": CONDUCT_KINDS,
        "source_evaluations": SOURCE_EVALUATIONS,
        "assessments": ASSESSMENTS,
        "handling_codes": HANDLING_CODES,
        "checklist": packages.CHECKLIST,
        "contact_allowed": case.opened.report.contact_scope == packages.CONTACT_FOR_FORCE,
        "authors": case.authors,
    }
    return staff_page(request, "desk/draft.html", session, staff, context, status=status)


@signed_in
async def draft_view(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    return await _draft_page(request, session, staff)


def _version(form: FormData) -> int:
    """The draft version the approve form was made for; 0 (never a version) when missing."""
    raw = form.get("version")
    return int(raw) if raw.isdigit() and len(raw) <= 9 else 0


# Problems a redirect may name (after the draft itself was saved); anything else is ignored.
_PROBLEMS = {"files": "files"}
_STATUS = {
    "stale": 409,
    "file_not_cleaned": 422,
    "not_author": 403,
    "not_supervisor": 403,
    "own_draft": 403,
    "not_draft": 409,
    "not_submitted": 409,
}


async def _action(
    request: web.Request, session: Session[Any], staff: StaffSession, action: str
) -> web.StreamResponse:
    packages.require_desk(staff.unlocked)
    form = await csrf_form(request, session)
    if form is None:
        return await _draft_page(request, session, staff, problem="csrf", status=403)
    services, draft_id, day = request.config_dict[SERVICES], _draft_id(request), today()
    db = services.db
    try:
        if action == "edit":
            await packages.edit_draft(
                db, staff.unlocked, draft_id, _values(form), form.get("include_contact") == "yes", day
            )
            await package_files.choose_files(db, services.files, staff.unlocked, draft_id, _chosen(form))
        elif action == "submit":
            await packages.submit_draft(db, staff.unlocked, draft_id, day)
        elif action == "approve":
            ticked = {name for name in packages.CHECKLIST if form.get(f"check_{name}") == "yes"}
            limits = request.config_dict[SETTINGS].files
            await package_files.approve_with_files(
                db, services.files, limits, services.cleaning, staff.unlocked, draft_id, ticked,
                _version(form), day,
            )
        else:
            await packages.reject_draft(db, staff.unlocked, draft_id, form.get("rejection"), day)
    except packages.PackageError as exc:
        values = _values(form) if action == "edit" else None
        return await _draft_page(
            request,
            session,
            staff,
            problem=exc.code,
            values=values,
            errors=exc.fields,
            status=_STATUS.get(exc.code, 400),
        )
    raise web.HTTPSeeOther(f"/desk/packages/{draft_id}?done={action}")


@signed_in
async def edit(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    return await _action(request, session, staff, "edit")


@signed_in
async def submit(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    return await _action(request, session, staff, "submit")


@signed_in
async def approve(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    return await _action(request, session, staff, "approve")


@signed_in
async def reject(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    return await _action(request, session, staff, "reject")


@signed_in
async def approvals(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """Drafts waiting for a second desk member."""
    drafts = await packages.awaiting_approval(request.config_dict[SERVICES].db, staff.unlocked)
    context = {"drafts": drafts, "units": await _receiving_units(request)}
    return staff_page(request, "desk/approvals.html", session, staff, context)
