"""Adding a key holder to a unit that already has members: a second person must approve.

Security staff make the account (its key pair wrapped under its password, its TOTP secret
sealed to it); it waits, unable to sign in and holding no unit key, until a current key
holder of the unit signs in and approves it. The approver's own copies of the unit's keys
are re-sealed to the newcomer, so the server never needs the custodian for this. Every key
holder of the unit is then told, on their next sign-in, until they acknowledge it.

`may_approve` is the one rule of who may approve. The desk is a unit like the others: its
analysts and supervisors hold its keys, so a new desk member waits for one of them (a desk
supervisor, say) exactly as a new investigator waits for a member of their force.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

from dropbox_server import audit, envelope
from dropbox_server.custody import certify, keyring
from dropbox_server.store import Database, StaffRow, units
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import keys as key_store
from dropbox_server.store.enrolments import KeyHolderNotice, PendingEnrolment

__all__ = [
    "EnrolmentRefused",
    "KeyHolderNotice",
    "PendingEnrolment",
    "PendingView",
    "all_waiting",
    "approve",
    "request",
    "waiting",
]


# A request nobody approved within this many days can no longer be approved: a forgotten
# request must not turn into a key holder months later. Security staff make a new one.
PENDING_DAYS = 14


def _fresh(p: PendingEnrolment, day: str) -> bool:
    return date.fromisoformat(p.requested_day) >= date.fromisoformat(day) - timedelta(days=PENDING_DAYS)


class EnrolmentRefused(Exception):
    """The approval cannot go ahead; `reason` names why (for the page), nothing was changed."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PendingView:
    """What an approver sees of a waiting account: enough to check it with security staff."""

    username: str
    role: str
    requested_by: str
    requested_day: str
    fingerprint: str


async def unit_has_key_holders(db: Database, unit_id: str) -> bool:
    return bool(await key_store.members_with_unit_keys(db, unit_id))


async def request(
    db: Database, new: PendingEnrolment, *, requested_by: str
) -> None:
    """Store an account to be approved by a current member of its unit (no custodian needed)."""
    if new.role not in keyring.ROLES_WITH_UNIT_KEYS:
        raise keyring.KeyringError("only key-holding roles wait for approval")
    if await enrolment_store.pending_by_username(db, new.username) is not None:
        raise keyring.KeyringError(f"the username {new.username!r} is taken (waiting for approval)")
    detail = f"for={new.username} role={new.role} key={envelope.fingerprint(new.public_key)}"
    entry = audit.pending("enrolment_requested", username=requested_by, unit_id=new.unit_id, detail=detail)
    try:
        await enrolment_store.add_pending(db, new, entry)
    except sqlite3.IntegrityError:
        raise keyring.KeyringError(f"the username {new.username!r} is taken") from None


def may_approve(approver: StaffRow, pending: PendingEnrolment) -> bool:
    """Who may approve a new key holder: a key-holding member of the same unit (at the desk,
    a desk analyst or desk supervisor; never a call handler, never another unit's member)."""
    return approver.unit_id == pending.unit_id and approver.role in keyring.ROLES_WITH_UNIT_KEYS


async def waiting(db: Database, approver: StaffRow, day: str) -> list[PendingView]:
    """The accounts this member may approve (requests younger than PENDING_DAYS)."""
    return [
        PendingView(p.username, p.role, p.requested_by, p.requested_day, envelope.fingerprint(p.public_key))
        for p in await enrolment_store.pending_for_unit(db, approver.unit_id)
        if may_approve(approver, p) and _fresh(p, day)
    ]


async def all_waiting(db: Database, unit_id: str | None) -> list[PendingEnrolment]:
    """Every account waiting for approval (for security staff's `keys list-staff`)."""
    units_ = [unit_id] if unit_id else [u.id for u in await units.list_units(db)]
    return [p for u in units_ for p in await enrolment_store.pending_for_unit(db, u)]


async def approve(db: Database, approver: keyring.UnlockedStaff, username: str, day: str) -> None:
    """Seal the approver's copies of the unit's keys to the newcomer and make them a member.

    Security: only keys that really are the unit's (their public halves match the ring) are
    passed on; the store re-checks inside its transaction that the approver is still a
    member and the request still pending, and tells every member.
    """
    pending = await enrolment_store.pending_by_username(db, username)
    if pending is None or not may_approve(approver.staff, pending) or not _fresh(pending, day):
        raise EnrolmentRefused("not_found")
    ring = {k.id: k.public_key for k in await units.unit_keys(db, pending.unit_id)}
    grants = {
        key_id: envelope.seal(pending.public_key, private)
        for key_id, private in approver.unit_keys.items()
        if key_id in ring and envelope.secret_equal(envelope.public_key_of(private), ring[key_id])
    }
    if not grants:
        raise EnrolmentRefused("no_keys")
    entry = audit.pending(
        "enrolment_approved", staff=approver.staff, detail=f"for={username} unit_keys={len(grants)}"
    )
    try:
        staff_id = await enrolment_store.approve_pending(
            db,
            enrolment_store.Approval(pending, grants, approver.staff.id, approver.staff.username, day, entry),
        )
    except LookupError:
        raise EnrolmentRefused("not_found") from None
    await certify.certify_staff(db, staff_id, pending.unit_id, pending.role, pending.public_key)


async def open_notices(db: Database, staff: StaffRow) -> list[KeyHolderNotice]:
    return await enrolment_store.open_notices(db, staff.id)


async def acknowledge(db: Database, staff: StaffRow, notice_id: int) -> bool:
    """Mark one of this member's notices as read (audited); False if it was not theirs to mark."""
    entry = audit.pending("key_holder_notice_acknowledged", staff=staff, detail=f"notice={notice_id}")
    return await enrolment_store.acknowledge_notice(db, staff.id, notice_id, entry)
