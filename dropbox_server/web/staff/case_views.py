"""Inbox, report view and the passed-on record: parse, call a use case, render."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dropbox_server.clock import days_before, today
from dropbox_server.conduct import CONDUCT_KINDS, DESK_STATES, OUTCOMES
from dropbox_server.custody import directory
from dropbox_server.custody.keyring import SUPERVISOR
from dropbox_server.forces import FORCES_BY_ID
from dropbox_server.i18n import lazy
from dropbox_server.reports import relay
from dropbox_server.reports.access import load_case, require_reader
from dropbox_server.reports.case_actions import next_outcomes, parse_staff_id
from dropbox_server.reports.case_file import CaseFile, open_case
from dropbox_server.reports.case_files import case_files
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.desk_panel import desk_panel
from dropbox_server.reports.inbox import InboxFilter
from dropbox_server.reports.inbox import inbox as inbox_use_case
from dropbox_server.reports.repeat_subjects import RepeatSubjects, repeat_subjects
from dropbox_server.reports.transfer import passed_on as passed_on_use_case
from dropbox_server.reports.transfer import withdrawn as withdrawn_use_case
from dropbox_server.reports.unit_choices import pass_on_ids
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import SERVICES, SETTINGS
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.inbox_search import urlencode_tail, with_search
from dropbox_server.web.staff.pages import signed_in, staff_page

CHANNELS = {"online": lazy("Online"), "phone": lazy("Phone"), "package": lazy("Package from the desk")}
QUIET_DAYS = ("7", "14", "30", "90")  # "the reporter has not written for at least N days"


def _filter_from(query: Any, me: int, members: dict[int, str]) -> tuple[InboxFilter, dict[str, str]]:
    """Filters from the query string, and the ones understood as query parameters.

    Unknown values are ignored rather than refused. `assigned` is "me", "none" or the id of
    a member of the unit.
    """
    wanted = {
        k: query.get(k, "") for k in ("outcome", "conduct", "channel", "assigned", "named", "state", "quiet")
    }
    if parse_staff_id(wanted["assigned"]) == me:
        wanted["assigned"] = "me"  # the form offers oneself only as "me"
    known = {
        "outcome": wanted["outcome"] in OUTCOMES,
        "conduct": wanted["conduct"] in CONDUCT_KINDS,
        "channel": wanted["channel"] in CHANNELS,
        "assigned": wanted["assigned"] in ("me", "none") or parse_staff_id(wanted["assigned"]) in members,
        "named": wanted["named"] in FORCES_BY_ID,
        "state": wanted["state"] in DESK_STATES,
        "quiet": wanted["quiet"] in QUIET_DAYS,
    }
    kept = {k: v for k, v in wanted.items() if known[k]}
    assigned = kept.get("assigned", "")
    where = InboxFilter(
        outcome=kept.get("outcome"),
        conduct=kept.get("conduct"),
        channel=kept.get("channel"),
        assignee=me if assigned == "me" else parse_staff_id(assigned),
        unassigned=assigned == "none",
        named_force=kept.get("named"),
        desk_state=kept.get("state"),
        reporter_quiet_since=days_before(int(kept["quiet"])) if "quiet" in kept else None,
    )
    return where, kept


async def _members(request: web.Request, unit_id: str) -> dict[int, str]:
    """The unit's key-holding members by id: who reports can be assigned to."""
    return await directory.key_holder_names(request.config_dict[SERVICES].db, unit_id)


async def _unit_names(request: web.Request) -> dict[str, str]:
    return await directory.unit_names(request.config_dict[SERVICES].db)


@signed_in
async def inbox(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    require_reader(staff.unlocked)
    me = staff.unlocked.staff
    members = await _members(request, me.unit_id)
    where, kept = _filter_from(request.query, me.id, members)
    where, searched, search_errors = await with_search(request, staff.unlocked, where)
    page = await inbox_use_case(
        request.config_dict[SERVICES].db,
        staff.unlocked,
        where,
        before=request.query.get("before"),
        after=request.query.get("after"),
    )
    context = {
        "page": page,
        "where": where,
        "assigned": kept.get("assigned", ""),
        "members": members,
        "filter_query": urlencode_tail({**kept, **searched}),
        "searched": searched,
        "search_errors": search_errors,
        "outcomes": OUTCOMES,
        "conduct_kinds": CONDUCT_KINDS,
        "channels": CHANNELS,
        "unit_names": await _unit_names(request),
        "desk_states": DESK_STATES,
        "quiet_days": QUIET_DAYS,
        "forces": FORCES_BY_ID,
        "kept": kept,
    }
    status = 400 if search_errors else 200
    return staff_page(request, "investigator/inbox.html", session, staff, context, status=status)


async def report_page(
    request: web.Request,
    session: Session[Any],
    staff: StaffSession,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    """The whole case: every field, contact details (if given), thread, history, actions."""
    db = request.config_dict[SERVICES].db
    case = await open_case(db, staff.unlocked, request.match_info["report_id"])
    report = case.opened.report
    content = case.opened.content
    unit_names = await _unit_names(request)
    context = {
        "case": case,
        "report": report,
        "content": content,
        "force_name": FORCES_BY_ID[content.force].name if content.force in FORCES_BY_ID else "",
        "conflicted_unit": content.force if content.conflict else "",
        "outcomes": OUTCOMES,
        "desk_states": DESK_STATES,
        "next_outcomes": next_outcomes(report.outcome),
        "conduct_kinds": CONDUCT_KINDS,
        "channels": CHANNELS,
        "unit_names": unit_names,
        "other_units": [(uid, unit_names.get(uid, uid)) for uid in await pass_on_ids(db, report.unit_id)],
        "members": await _members(request, report.unit_id) if staff.unlocked.staff.role == SUPERVISOR else {},
        "errors": errors or {},
        "values": values or {},
        "done": request.query.get("done", ""),
        "limit": request.config_dict[SETTINGS].limits.message_chars,
        "files_by_item": {} if report.is_package else await _files_by_item(request, staff, report.id),
        "repeats": await _repeats(request, staff, case),
        **await _desk_context(request, staff, case),
    }
    return staff_page(request, "investigator/report.html", session, staff, context, status=status)


async def _files_by_item(request: web.Request, staff: StaffSession, report_id: str) -> dict[Any, list[Any]]:
    """The report's files grouped by what they came with: "report", or a message's item id."""
    found = await case_files(
        request.config_dict[SERVICES].db, request.config_dict[SERVICES].files, staff.unlocked, report_id
    )
    grouped: dict[Any, list[Any]] = {}
    for f in found:
        grouped.setdefault("report" if f.row.item_kind == "report" else f.row.item_id, []).append(f)
    return grouped


async def _repeats(request: web.Request, staff: StaffSession, case: CaseFile) -> RepeatSubjects:
    """Other reports (and packages) of the unit naming the same collar number or person."""
    content = case.opened.package if case.opened.report.is_package else case.opened.content
    if content is None:
        return RepeatSubjects((), ())
    db = request.config_dict[SERVICES].db
    return await repeat_subjects(db, staff.unlocked, case.opened.report, content, today())


async def _desk_context(request: web.Request, staff: StaffSession, case: CaseFile) -> dict[str, Any]:
    """The desk's panel on a report it holds, or the force's requests to the desk on a package."""
    db = request.config_dict[SERVICES].db
    report = case.opened.report
    if report.desk_state is not None:
        opened = await load_case(db, staff.unlocked, report.id)
        content = case.opened.content
        return {
            "at_desk": True,
            # Read from the sealed report: no clear copy of the named force is kept (M1).
            "named_force": content.force if isinstance(content, ReportContent) else None,
            "desk_panel": await desk_panel(db, staff.unlocked, opened),
            "desk_requests": await relay.desk_requests(db, staff.unlocked, opened),
            "receiving_units": await directory.receiving_units(db),
        }
    if report.is_package:
        messages = await relay.package_messages(db, staff.unlocked, report.id)
        files = await case_files(db, request.config_dict[SERVICES].files, staff.unlocked, report.id)
        return {"at_desk": False, "relay_messages": messages, "package_files": files}
    return {"at_desk": False}


@signed_in
async def report_view(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    return await report_page(request, session, staff)


@signed_in
async def passed_on(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    db = request.config_dict[SERVICES].db
    records = await passed_on_use_case(db, staff.unlocked)
    withdrawn = await withdrawn_use_case(db, staff.unlocked)
    context = {"records": records, "withdrawn": withdrawn, "unit_names": await _unit_names(request)}
    return staff_page(request, "investigator/passed_on.html", session, staff, context)
