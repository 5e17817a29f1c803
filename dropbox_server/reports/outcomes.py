"""The outcome workflow: new → being assessed → a final outcome; reopening goes back to assessing."""

from __future__ import annotations

from dropbox_server import audit, envelope
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.reports.access import load_case
from dropbox_server.reports.case_file import OUTCOME_REASON
from dropbox_server.reports.content import item_context
from dropbox_server.store import Database
from dropbox_server.store import outcomes as outcome_store

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
    current = case.report.outcome
    if seen != current:
        raise OutcomeError("changed_meanwhile")
    if new not in next_outcomes(current):
        raise OutcomeError("not_allowed")
    text = check_reason(reason)
    blob, key, _ = envelope.seal_new_item(
        case.report.report_public_key, text.encode("utf-8"), item_context(case.report.id, OUTCOME_REASON)
    )
    change = outcome_store.NewOutcome(
        case.report.seq, case.report.unit_id, new, current, day, staff.staff.id, blob, key
    )
    detail = f"{current}->{new}" + (" reopen" if is_reopening(current, new) else "")
    entry = audit.pending("outcome", staff=staff.staff, report_id=case.report.id, detail=detail)
    if not await outcome_store.set_outcome(db, change, entry):
        raise OutcomeError("changed_meanwhile")
