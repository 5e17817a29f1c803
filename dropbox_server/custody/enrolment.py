"""Adding a key holder: security staff ask, the newcomer makes their own key, a second person approves.

Security staff make only a request with a one-time enrolment code (`invite`), handed to the
newcomer. The newcomer redeems it on the staff site (custody/redemption.py): they choose their
password and authenticator, and their key pair is made and wrapped there, so no key, password
or authenticator secret ever passes through security staff. The newcomer then reads their
key's fingerprint to an approver, who must type it: a current key holder of the unit (their
own copies of the unit's keys are re-sealed, so the server never needs the custodian) or, for
a unit's first key holder, security staff with K custodian shares (`approve_first`). Every key
holder of the unit is then told, on their next sign-in, until they acknowledge it.

A member who lost their password or authenticator is re-keyed the same way (`invite_rekey`):
security staff make a re-key code for the account, the member redeems it and makes a NEW key
pair in their own session, and a second person approves by typing its fingerprint (never the
member themselves). On approval the account's key, authenticator and unit key copies are
replaced, so the old key opens nothing more, and the unit's members are told.

`may_approve` is the one rule of who may approve. The desk is a unit like the others: its
analysts and supervisors hold its keys, so a new desk member waits for one of them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from dropbox_server import audit, envelope
from dropbox_server.custody import certify, enrolment_seal, keyring, notices, revoked
from dropbox_server.store import Database, StaffRow, units
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store.enrolments import KeyHolderNotice, PendingEnrolment

__all__ = [
    "EnrolmentRefused",
    "Invitation",
    "KeyHolderNotice",
    "PendingEnrolment",
    "PendingView",
    "all_waiting",
    "approve",
    "approve_first",
    "invite",
    "invite_rekey",
    "waiting",
]


# A request nobody approved within this many days can no longer be approved: a forgotten
# request must not turn into a key holder months later. Security staff make a new one.
PENDING_DAYS = 14
# An enrolment code can be redeemed for this many days after it is made.
CODE_DAYS = 3


def _fresh(p: PendingEnrolment, day: str) -> bool:
    return date.fromisoformat(p.requested_day) >= date.fromisoformat(day) - timedelta(days=PENDING_DAYS)


class EnrolmentRefused(Exception):
    """The approval cannot go ahead; `reason` names why (for the page), nothing was changed."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, repr=False)
class Invitation:
    """A new request and its enrolment code: shown once, to hand to the newcomer."""

    username: str
    code: str
    expires_day: str

    def __repr__(self) -> str:
        return f"Invitation({self.username})"


@dataclass(frozen=True)
class PendingView:
    """What an approver sees of a request: who asked, and its state. Never the fingerprint:
    the approver must hear that from the newcomer and type it."""

    username: str
    role: str
    requested_by: str
    requested_day: str
    redeemed: bool
    tampered: bool
    rekey: bool = False  # a new key for a current member (lost password or authenticator)


async def unit_has_key_holders(db: Database, unit_id: str, but: int | None = None) -> bool:
    """Whether the unit has a key holder (other than `but`: the member a re-key is for)."""
    return any(m.id != but for m in await key_store.members_with_unit_keys(db, unit_id))


def _seed(db: Database) -> bytes:
    if db.audit_seed is None:
        raise keyring.KeyringError("the outside key (audit.key) is missing: enrolments cannot be checked")
    return db.audit_seed


async def invite(
    db: Database,
    *,
    username: str,
    unit_id: str,
    role: str,
    requested_by: str,
    day: str,
    show: Callable[[Invitation], None] | None = None,
) -> Invitation:
    """Record a request for a new account and return its one-time enrolment code.

    `show` (the command line's printing) is called once the request is known to be
    acceptable and before it is stored: if the code cannot be shown, nothing is stored.

    Security: nothing secret of the newcomer's exists yet; the code is stored only as a keyed
    hash and the row carries a MAC bound to its audit entry (custody/enrolment_seal.py).
    """
    await keyring.check_new_account(db, username, unit_id, role)
    return await _request(db, (username, unit_id, role, None), requested_by, day, show)


async def invite_rekey(
    db: Database,
    *,
    username: str,
    requested_by: str,
    day: str,
    show: Callable[[Invitation], None] | None = None,
) -> Invitation:
    """Record a re-key request for an existing account (lost password or authenticator) and
    return its one-time re-key code, to hand to the member in person.

    Security: as for a newcomer, security staff see only the code: the member makes their
    new password, authenticator and key pair at redemption, and a second person approves.
    Until then the account keeps its old key; a re-key request for the same account already
    waiting is refused (the username is taken).
    """
    staff = await staff_store.get_staff_by_username(db, username)
    if staff is None:
        raise keyring.KeyringError(f"no member of staff is called {username!r}")
    return await _request(db, (username, staff.unit_id, staff.role, staff.id), requested_by, day, show)


async def _request(
    db: Database,
    who: tuple[str, str, str, int | None],
    requested_by: str,
    day: str,
    show: Callable[[Invitation], None] | None,
) -> Invitation:
    seed = _seed(db)
    username, unit_id, role, rekey_of = who
    code = enrolment_seal.new_code()
    expires = (date.fromisoformat(day) + timedelta(days=CODE_DAYS)).isoformat()
    new = PendingEnrolment(
        0, username, unit_id, role, enrolment_seal.code_hash(seed, code), requested_by, day, expires, 0, b"",
        rekey_of=rekey_of,
    )
    invitation = Invitation(username, code, expires)
    if show is not None:
        show(invitation)
    rekey = "" if rekey_of is None else " rekey"
    entry = audit.pending(
        "enrolment_requested", username=requested_by, unit_id=unit_id,
        detail=f"for={username} role={role} code_expires={expires}{rekey}",
    )
    try:
        await enrolment_store.add_pending(
            db, new, entry, lambda seq, entry_hash: enrolment_seal.request_mac(seed, new, seq, entry_hash)
        )
    except sqlite3.IntegrityError:
        taken = "has a request waiting" if rekey_of is not None else "is taken"
        raise keyring.KeyringError(f"the username {username!r} {taken}") from None
    except LookupError:
        raise keyring.KeyringError(f"{username!r} changed meanwhile; run it again") from None
    return invitation


async def intact(db: Database, p: PendingEnrolment) -> bool:
    """Whether a pending row is one this server wrote, bound to its audit entry."""
    return enrolment_seal.intact(_seed(db), p, await enrolment_store.audit_hash(db, p.audit_seq))


def may_approve(approver: StaffRow, pending: PendingEnrolment) -> bool:
    """Who may approve a new key holder: a key-holding member of the same unit (at the desk,
    a desk analyst or desk supervisor; never a call handler, never another unit's member),
    and never the member whose own new key it is (a re-key)."""
    return (
        approver.unit_id == pending.unit_id
        and approver.role in keyring.ROLES_WITH_UNIT_KEYS
        and approver.id != pending.rekey_of
    )


async def waiting(db: Database, approver: StaffRow, day: str) -> list[PendingView]:
    """The requests of this member's unit (younger than PENDING_DAYS), tampered rows marked."""
    return [
        PendingView(
            p.username, p.role, p.requested_by, p.requested_day, p.redeemed, not await intact(db, p),
            rekey=p.rekey_of is not None,
        )
        for p in await enrolment_store.pending_for_unit(db, approver.unit_id)
        if may_approve(approver, p) and _fresh(p, day)
    ]


async def all_waiting(db: Database, unit_id: str | None) -> list[PendingEnrolment]:
    """Every request still waiting (for security staff's `keys list-staff`)."""
    units_ = [unit_id] if unit_id else [u.id for u in await units.list_units(db)]
    return [p for u in units_ for p in await enrolment_store.pending_for_unit(db, u)]


async def _checked(
    db: Database, username: str, fingerprint: str, day: str, by: tuple[StaffRow | None, str]
) -> PendingEnrolment:
    """The redeemed, intact request whose key has exactly the typed fingerprint; else refused
    (a tampered row or a wrong fingerprint is audited, naming who tried)."""
    pending = await enrolment_store.pending_by_username(db, username)
    if pending is None or not _fresh(pending, day):
        raise EnrolmentRefused("not_found")
    if pending.public_key is None:
        raise EnrolmentRefused("not_redeemed")
    reason, why = "", ""
    if not await intact(db, pending):
        reason = why = "tampered"
    elif pending.rekey_of is not None and revoked.is_revoked(
        db.path.parent, pending.rekey_of, pending.unit_id
    ):
        # F2: a re-key of a member removed from or moved out of this unit, whose row a
        # database writer put back; shown as a request this server would not make.
        reason, why = "tampered", "revoked"
    elif not enrolment_seal.fingerprint_matches(pending.public_key, fingerprint):
        reason = why = "wrong_fingerprint"
    if reason:
        staff, name = by
        await audit.record(db, audit.pending(
            "enrolment_approval_refused", staff=staff, username=name, unit_id=pending.unit_id,
            detail=f"for={username} {why}",
        ))
        raise EnrolmentRefused(reason)
    return pending


async def approve(
    db: Database, approver: keyring.UnlockedStaff, username: str, fingerprint: str, day: str
) -> None:
    """Seal the approver's copies of the unit's keys to the newcomer and make them a member.

    Security: the approver must type the fingerprint the newcomer reads out (compared in
    constant time); the row must carry this server's MACs; only keys that really are the
    unit's are passed on; the store re-checks inside its transaction that the approver is
    still a member and the request unchanged, and tells every member.
    """
    pending = await enrolment_store.pending_by_username(db, username)
    if pending is None or not may_approve(approver.staff, pending):
        raise EnrolmentRefused("not_found")
    pending = await _checked(db, username, fingerprint, day, (approver.staff, approver.staff.username))
    assert pending.public_key is not None  # _checked refuses a request not redeemed
    ring = {k.id: k.public_key for k in await units.unit_keys(db, pending.unit_id)}
    grants = {
        key_id: envelope.seal(pending.public_key, private)
        for key_id, private in approver.unit_keys.items()
        if key_id in ring and envelope.secret_equal(envelope.public_key_of(private), ring[key_id])
    }
    if not grants:
        raise EnrolmentRefused("no_keys")
    rekey = "" if pending.rekey_of is None else " rekey"
    entry = audit.pending(
        "enrolment_approved", staff=approver.staff, detail=f"for={username} unit_keys={len(grants)}{rekey}"
    )
    try:
        staff_id = await enrolment_store.approve_pending(
            db,
            enrolment_store.Approval(
                pending, grants, approver.staff.id, approver.staff.username, day, entry,
                notices.announcement(
                    pending.unit_id, username, pending.requested_by, approver.staff.username, day,
                    rekey=pending.rekey_of is not None,
                ),
            ),
        )
    except LookupError:
        raise EnrolmentRefused("not_found") from None
    await certify.certify_staff(db, staff_id, pending.unit_id, pending.role, pending.public_key)
    await audit.keep_checkpoint(db)  # the notice entry must not be cut off unseen (N1)


async def approve_first(
    db: Database, custodian_private: bytes, username: str, fingerprint: str, day: str, *, approved_by: str
) -> int:
    """Make a unit's FIRST key holder a member with the unit's keys from the custodian (K shares).

    Security: the key is still the newcomer's own (made at their redemption); security staff
    type the fingerprint the newcomer reads out, and the store refuses inside its transaction
    if the unit has a key holder by then (a member must approve instead).
    """
    pending = await _checked(db, username, fingerprint, day, (None, approved_by))
    assert pending.public_key is not None
    if pending.role not in keyring.ROLES_WITH_UNIT_KEYS:
        raise EnrolmentRefused("not_found")
    if await unit_has_key_holders(db, pending.unit_id, but=pending.rekey_of):
        raise EnrolmentRefused("has_members")
    opened = await keyring.unit_private_keys_from_custodian(db, pending.unit_id, custodian_private)
    grants = {key_id: envelope.seal(pending.public_key, private) for key_id, private in opened.items()}
    rekey = "" if pending.rekey_of is None else " rekey"
    entry = audit.pending(
        "enrolment_approved", username=approved_by, unit_id=pending.unit_id,
        detail=f"for={username} unit_keys={len(grants)} first_key_holder{rekey}",
    )
    try:
        staff_id = await enrolment_store.approve_pending(
            db, enrolment_store.Approval(
                pending, grants, None, approved_by, day, entry,
                notices.announcement(pending.unit_id, username, pending.requested_by, approved_by, day,
                                     rekey=pending.rekey_of is not None),
            )
        )
    except LookupError:
        raise EnrolmentRefused("has_members") from None
    await certify.certify_staff(db, staff_id, pending.unit_id, pending.role, pending.public_key)
    await audit.keep_checkpoint(db)  # the notice entry must not be cut off unseen (N1)
    return staff_id


async def open_notices(db: Database, staff: StaffRow) -> list[KeyHolderNotice]:
    """This member's notices of new key holders not yet acknowledged (custody/notices.py)."""
    return await notices.open_notices(db, staff)


async def notices_trusted(db: Database) -> bool:
    """Whether the key holder notices can be trusted now (the audit chain whole; custody/notices.py)."""
    return await notices.trustworthy(db)


async def acknowledge(db: Database, staff: StaffRow, notice_id: str) -> bool:
    """Mark one of this member's notices as read (audited); False if it was not theirs to mark."""
    return await notices.acknowledge(db, staff, notice_id)
