"""What a unit does on a case: replies and notes, assignment, and the outcome workflow.

Writing to a case as a unit: replies through the receipt and internal notes, each audited.

Assigning a report to a member of the unit: the supervisor's choice, audited, checked twice.

The outcome workflow: new → being assessed → a final outcome; reopening goes back to assessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dropbox_server import audit, envelope
from dropbox_server.custody import certify
from dropbox_server.custody.keyring import SUPERVISOR, UnlockedStaff
from dropbox_server.custody.signing import current_signer
from dropbox_server.reports.access import RoleNotAllowed, load_case
from dropbox_server.reports.case_file import OUTCOME_REASON
from dropbox_server.reports.casework import note_item, reply_item
from dropbox_server.reports.content import item_context
from dropbox_server.store import Database
from dropbox_server.store import assignments as assignment_store
from dropbox_server.store import casework as casework_store
from dropbox_server.store import outcomes as outcome_store
from dropbox_server.store.keys import members_with_unit_keys


class MessageError(Exception):
    """The message cannot be sent; `code` says why ('empty' or 'too_long')."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check_message(text: str, limit: int) -> str:
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned:
        raise MessageError("empty")
    if len(cleaned) > limit:
        raise MessageError("too_long")
    return cleaned


async def reply(db: Database, staff: UnlockedStaff, report_id: str, text: str, limit: int, day: str) -> int:
    """Reply to the reporter of a report in the caller's unit; readable with the receipt."""
    case = await load_case(db, staff, report_id)
    if case.report.is_package:
        raise MessageError("no_reporter")  # a force asks the desk instead (reports/relay.py)
    signer = await current_signer(db, case.report.unit_id, staff.unit_keys)
    await certify.reporter_public(db, case.report)
    item = reply_item(case.report, staff.staff.id, check_message(text, limit), signer, day)
    entry = audit.pending("reply", staff=staff.staff, report_id=case.report.id)
    item_id = await casework_store.add_item_audited(db, case.report.seq, item, day, entry)
    await casework_store.mark_read(db, staff.staff.id, case.report.seq)
    return item_id


async def note(db: Database, staff: UnlockedStaff, report_id: str, text: str, limit: int, day: str) -> int:
    """Add an internal note to a report in the caller's unit; the reporter never sees it."""
    case = await load_case(db, staff, report_id)
    await certify.report_public(db, case.report)
    item = note_item(case.report, staff.staff.id, check_message(text, limit))
    entry = audit.pending("note", staff=staff.staff, report_id=case.report.id)
    item_id = await casework_store.add_item_audited(db, case.report.seq, item, day, entry)
    await casework_store.mark_read(db, staff.staff.id, case.report.seq)
    return item_id


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
    """ "" means nobody; anything else must be a plain staff id."""
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


FINAL_OUTCOMES = ("investigation", "safeguarding", "intelligence", "no-further-action", "out-of-scope")
MAX_REASON_CHARS = 2000


class OutcomeError(Exception):
    """The change cannot be made; `code` names why for the page to explain."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def next_outcomes(current: str) -> tuple[str, ...]:
    """The outcomes a report may move to from `current`.

    'transferred' is never chosen here: passing a report on is its own action. A final
    outcome can only be reopened (back to 'assessing'), which also needs a reason.
    """
    if current == "new":
        return ("assessing",)
    if current == "assessing":
        return FINAL_OUTCOMES
    return ("assessing",)


def is_reopening(current: str, new: str) -> bool:
    return new == "assessing" and current not in ("new", "assessing")


def check_reason(reason: str) -> str:
    """A required, bounded reason; raises OutcomeError('reason_missing'|'reason_too_long')."""
    cleaned = reason.replace("\r\n", "\n").strip()
    if not cleaned:
        raise OutcomeError("reason_missing")
    if len(cleaned) > MAX_REASON_CHARS:
        raise OutcomeError("reason_too_long")
    return cleaned


async def change_outcome(
    db: Database, staff: UnlockedStaff, report_id: str, new: str, reason: str, day: str, seen: str
) -> None:
    """Set a report's outcome with a reason, recording it in the history and the audit log.

    `seen` is the outcome the investigator was looking at: if someone changed it since, the
    change is refused ('changed_meanwhile') rather than silently overwriting theirs.
    Security: the reason may hold case detail, so it is encrypted under an item key sealed
    to the report key; the outcome code and the day stay clear for statistics.
    """
    case = await load_case(db, staff, report_id)
    if case.report.desk_state is not None:
        raise OutcomeError("desk_report")  # outcomes are the force's; the desk closes instead
    current = case.report.outcome
    if seen != current:
        raise OutcomeError("changed_meanwhile")
    if new not in next_outcomes(current):
        raise OutcomeError("not_allowed")
    text = check_reason(reason)
    blob, key, _ = envelope.seal_new_item(
        await certify.report_public(db, case.report),
        text.encode("utf-8"),
        item_context(case.report.id, OUTCOME_REASON),
    )
    change = outcome_store.NewOutcome(
        case.report.seq, case.report.unit_id, new, current, day, staff.staff.id, blob, key
    )
    detail = f"{current}->{new}" + (" reopen" if is_reopening(current, new) else "")
    entry = audit.pending("outcome", staff=staff.staff, report_id=case.report.id, detail=detail)
    if not await outcome_store.set_outcome(db, change, entry):
        raise OutcomeError("changed_meanwhile")
