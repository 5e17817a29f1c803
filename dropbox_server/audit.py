"""The audit trail: a hash-chained, append-only log of what staff did.

What is logged: sign-ins (success and failure), sign-outs, each view of a report,
replies, notes, outcome changes, transfers, assignments, attachment downloads and key
changes (enrolment, authenticator replaced). Each entry names the action, the member of
staff (id, and username for sign-ins), the unit and the report's public id, and a short
code-like detail (e.g. the new outcome code, the receiving unit or the assignee). Never any
reporter content, reason or message text.

Security (timestamps): entries carry the UTC day only, and their order is the chain's.
Seconds let a copy of the database date a reporter's follow-up to the window between two
staff notes on other reports; the day and the order of staff actions keep accountability
(who read what, on which day, before or after what) without that. Entries written before
this version keep the second-precision time they were hashed with: rewriting them would
break the chain and the head recorded outside. Nothing a *reporter* does is ever logged:
not the submission, a check-back or a follow-up (invariant 2).

Security (failed sign-ins): the username is logged only when it names a real account.
A string typed into the username box that matches nobody may be a mistyped password,
so it is logged as "(unknown)" rather than stored.

Security (chain): each entry's hash is BLAKE2b over the previous hash and a canonical
encoding of the entry (envelope.chain_digest). Editing, inserting or deleting an entry
breaks every later link; `python run.py audit verify` names the first broken one.
Truncating the newest entries cannot be seen from the log alone, so `verify` prints the
head hash for security staff to record elsewhere and compare later.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from dropbox_server import envelope
from dropbox_server.store import Database
from dropbox_server.store import audit as audit_store
from dropbox_server.store.audit import AuditEntry, PendingAudit
from dropbox_server.store.records import StaffRow

UNKNOWN_USERNAME = "(unknown)"
ACTIONS = frozenset(
    {
        "sign_in",
        "sign_in_failed",
        "sign_out",
        "view",
        "reply",
        "note",
        "outcome",
        "transfer",
        "assigned",
        "staff_enrolled",
        "authenticator_replaced",
        "authenticator_replace_failed",
        "file_download",
        "case_export",
        "unit_key_rotated",
        "unit_key_retired",
        "staff_removed",
        "staff_moved",
        "password_reset",
        "totp_reset",
        "unit_created",
        "keys_backed_up",
        "database_backed_up",
        "restored",
        "onion_client_added",
        "onion_client_removed",
        "onion_client_rotated",
        "report_deleted",
        "routing_changed",
        "package_drafted",
        "package_edited",
        "package_submitted",
        "package_approved",
        "package_rejected",
        "relay_asked",
        "relay_sent",
        "relay_declined",
        "desk_closed",
        "custodian_recovered",
        "custodian_passphrase_failed",
        "custodian_shares_refused",
        "unit_renamed",
        "unit_retired",
        "custodian_split",
        "custodian_reshared",
        "enrolment_requested",
        "enrolment_approved",
        "key_holder_notice_acknowledged",
        "password_change_failed",
        "enrolment_approval_refused",
    }
)
# Who ran the command-line action being recorded (set once per command by the CLI).
# Security: a ContextVar, not a global: each asyncio.run copies it, and the web service
# never sets it, so a staff member's own entries never carry an operator.
_OPERATOR: ContextVar[str | None] = ContextVar("audit_operator", default=None)


@contextmanager
def operator_scope(name: str) -> Iterator[None]:
    """Every entry made inside carries `by=NAME`: the security officer who ran the command."""
    token = _OPERATOR.set(name)
    try:
        yield
    finally:
        _OPERATOR.reset(token)


def now_utc() -> str:
    """Today's UTC date: the only time an audit entry records (see Security above)."""
    return datetime.now(UTC).date().isoformat()


def encode_entry(seq: int, entry: AuditEntry) -> bytes:
    """The canonical bytes of an entry: sorted-key JSON including its position."""
    fields = {
        "seq": seq,
        "at": entry.at,
        "action": entry.action,
        "staff_id": entry.staff_id,
        "username": entry.username,
        "unit_id": entry.unit_id,
        "report_id": entry.report_id,
        "detail": entry.detail,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def link(seq: int, previous: bytes, entry: AuditEntry) -> bytes:
    """The hash of entry `seq` given the hash before it."""
    return envelope.chain_digest(previous, encode_entry(seq, entry))


def pending(
    action: str,
    *,
    staff: StaffRow | None = None,
    username: str | None = None,
    report_id: str | None = None,
    detail: str = "",
    clock: Callable[[], str] = now_utc,
    unit_id: str | None = None,
) -> PendingAudit:
    """An entry ready to append (in the transaction of the action it records, where possible)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    operator = _OPERATOR.get()
    if operator is not None:
        detail = f"{detail} by={operator}".strip()
    entry = AuditEntry(
        at=clock(),
        action=action,
        staff_id=staff.id if staff else None,
        username=username if username is not None else (staff.username if staff else None),
        unit_id=staff.unit_id if staff else unit_id,
        report_id=report_id,
        detail=detail,
    )
    return PendingAudit(entry=entry, link=link)


async def record(db: Database, entry: PendingAudit) -> int:
    """Append an entry on its own (for actions that change nothing else, like a view)."""
    return await audit_store.append(db, entry)


@dataclass(frozen=True)
class Verification:
    """The result of checking the chain: how many entries, the head, the first broken one."""

    entries: int
    head: bytes
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


async def verify(db: Database, batch: int = 1000) -> Verification:
    """Walk the whole chain and stop at the first entry that does not link up."""
    previous, expected_seq, count = audit_store.GENESIS, 1, 0
    while rows := await audit_store.entries(db, expected_seq - 1, batch):
        for row in rows:
            if row.seq != expected_seq:
                return Verification(count, previous, expected_seq, "is missing")
            if not envelope.secret_equal(row.prev_hash, previous):
                return Verification(count, previous, row.seq, "does not follow the entry before it")
            if not envelope.secret_equal(row.hash, link(row.seq, previous, row.entry)):
                return Verification(count, previous, row.seq, "has been altered")
            previous, expected_seq, count = row.hash, expected_seq + 1, count + 1
    return Verification(count, previous)
