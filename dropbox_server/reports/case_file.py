"""Opening a case for the report view: every part decrypted, the history, and the audit entry."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import audit, envelope
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.reports.access import Case, load_case
from dropbox_server.reports.casework import OpenedReport, open_report
from dropbox_server.reports.content import item_context
from dropbox_server.store import Database
from dropbox_server.store import assignments as assignment_store
from dropbox_server.store import casework as casework_store
from dropbox_server.store import outcomes as outcome_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store import transfers as transfer_store

OUTCOME_REASON = "outcome_reason"
TRANSFER_REASON = "transfer_reason"


@dataclass(frozen=True)
class HistoryEntry:
    day: str
    unit_id: str
    outcome: str
    previous: str
    author: str
    reason: str  # "" when there is none (e.g. the receiving side of a transfer)


@dataclass(frozen=True)
class TransferNote:
    day: str
    from_unit_id: str
    to_unit_id: str
    reason: str
    conflict_override: bool
    contact_passed: bool


@dataclass(frozen=True)
class CaseFile:
    opened: OpenedReport
    history: tuple[HistoryEntry, ...]
    transfers: tuple[TransferNote, ...]
    authors: dict[int, str]  # usernames of everyone named on the case (authors, assignee)
    assignment: assignment_store.AssignmentRow | None


def open_reason(case: Case, kind: str, ciphertext: bytes, sealed_key: bytes) -> str:
    """A reason (outcome or transfer) encrypted under an item key sealed to the report key."""
    key = case.keys.unseal(sealed_key)
    return envelope.decrypt(key, ciphertext, item_context(case.report.id, kind)).decode("utf-8")


async def _history(db: Database, case: Case, names: dict[int, str]) -> tuple[HistoryEntry, ...]:
    out = []
    for row in await outcome_store.history(db, case.report.seq):
        reason = ""
        if row.reason_ciphertext is not None and row.reason_key is not None:
            reason = open_reason(case, OUTCOME_REASON, row.reason_ciphertext, row.reason_key)
        author = names.get(row.staff_id, "") if row.staff_id is not None else ""
        out.append(HistoryEntry(row.day, row.unit_id, row.outcome, row.previous, author, reason))
    return tuple(out)


async def _transfers(db: Database, case: Case) -> tuple[TransferNote, ...]:
    return tuple(
        TransferNote(
            t.day,
            t.from_unit_id,
            t.to_unit_id,
            open_reason(case, TRANSFER_REASON, t.reason_ciphertext, t.reason_key_for_report),
            t.conflict_override,
            t.contact_passed,
        )
        for t in await transfer_store.transfers_of(db, case.report.seq)
    )


async def open_case(db: Database, staff: UnlockedStaff, report_id: str) -> CaseFile:
    """Decrypt a report of the caller's unit, mark it read for them and log the view.

    Raises access.CaseNotFound / RoleNotAllowed.
    """
    case = await load_case(db, staff, report_id)
    opened = await open_report(db, case.report, case.unit_keys)
    history_rows = await outcome_store.history(db, case.report.seq)
    ids = {m.author_staff_id for m in opened.messages if m.author_staff_id is not None}
    ids |= {h.staff_id for h in history_rows if h.staff_id is not None}
    assignment = await assignment_store.assignment_of(db, case.report.seq)
    if assignment is not None:
        ids |= {assignment.staff_id} | ({assignment.assigned_by} if assignment.assigned_by else set())
    names = await staff_store.usernames(db, ids)
    await casework_store.mark_read(db, staff.staff.id, case.report.seq)
    await audit.record(db, audit.pending("view", staff=staff.staff, report_id=case.report.id))
    return CaseFile(
        opened=opened,
        history=await _history(db, case, names),
        transfers=await _transfers(db, case),
        authors=names,
        assignment=assignment,
    )
