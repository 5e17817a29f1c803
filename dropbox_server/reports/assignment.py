"""Assigning a report to a member of the unit: the supervisor's choice, audited, checked twice."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dropbox_server import audit
from dropbox_server.custody.keyring import SUPERVISOR, UnlockedStaff
from dropbox_server.reports.access import RoleNotAllowed, load_case
from dropbox_server.store import Database
from dropbox_server.store import assignments as assignment_store
from dropbox_server.store.keys import members_with_unit_keys


class AssignmentError(Exception):
    """The assignment cannot be made; `code` is 'bad_member' or 'assignee_changed'."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class AssignRequest:
    """The posted form: `to` is a member's id or "" for nobody; `seen` the assignee on screen."""

    report_id: str
    to: str
    seen: str


_STAFF_ID = re.compile(r"[0-9]{1,12}")


def parse_staff_id(value: str) -> int | None:
    """A staff id typed as ASCII digits, or None (str.isdigit would let '²' through to int())."""
    return int(value) if _STAFF_ID.fullmatch(value) else None


def _staff_id(value: str, code: str) -> int | None:
    """"" means nobody; anything else must be a plain staff id."""
    if value == "":
        return None
    found = parse_staff_id(value)
    if found is None:
        raise AssignmentError(code)
    return found


async def assign_report(db: Database, staff: UnlockedStaff, request: AssignRequest, day: str) -> bool:
    """Give a report of the supervisor's unit to one of its members (or to nobody).

    Returns False when nothing changed (it was already so). Security: only a supervisor may
    assign; the assignee must hold the unit's keys (the database refuses anyone else too);
    `seen` stops two supervisors silently overwriting each other's choice.
    """
    if staff.staff.role != SUPERVISOR:
        raise RoleNotAllowed(staff.staff.role)
    case = await load_case(db, staff, request.report_id)
    to = _staff_id(request.to, "bad_member")
    seen = _staff_id(request.seen, "assignee_changed")
    members = {m.id: m for m in await members_with_unit_keys(db, case.report.unit_id)}
    if to is not None and to not in members:
        raise AssignmentError("bad_member")
    current = await assignment_store.assignment_of(db, case.report.seq)
    if (current.staff_id if current else None) != seen:
        raise AssignmentError("assignee_changed")
    if to == seen:
        return False
    detail = f"to={members[to].username}" if to is not None else "unassigned"
    entry = audit.pending("assigned", staff=staff.staff, report_id=case.report.id, detail=detail)
    change = assignment_store.AssignmentChange(
        seq=case.report.seq,
        unit_id=case.report.unit_id,
        staff_id=to,
        assigned_by=staff.staff.id,
        day=day,
        seen=seen,
    )
    try:
        changed = await assignment_store.replace_assignment(db, change, entry)
    except assignment_store.AssigneeRefused as exc:
        raise AssignmentError("bad_member") from exc
    if not changed:
        raise AssignmentError("assignee_changed")
    return True
