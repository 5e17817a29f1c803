"""Security staff changes to accounts: password and authenticator resets, moving units, new units."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import audit, envelope
from dropbox_server.custody import certify, custodian, keyring, notices, revoked, unit_admin
from dropbox_server.custody.revocation import refuse_last_key_holder
from dropbox_server.custody.rotation import RotationError, new_unit_key
from dropbox_server.store import Database, StaffRow, UnitRow, units
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store.errors import UnitNameTaken
from receipt_codes import KdfParams

CUSTODIAN_APPROVAL = "the custodian share holders"


class StaffChangeRefused(Exception):
    """The change cannot go ahead; the message says why. Nothing was changed."""


@dataclass(frozen=True)
class Reset:
    """A password changed with the old one: the same key, re-wrapped."""

    username: str


async def _staff(db: Database, username: str) -> StaffRow:
    row = await staff_store.get_staff_by_username(db, username)
    if row is None:
        raise StaffChangeRefused(f"no member of staff is called {username!r}")
    return row


async def reset_password(
    db: Database, username: str, new_password: str, kdf: KdfParams, *, old_password: str
) -> Reset:
    """Set a new password with the old one: the same key pair is re-wrapped, nothing else changes.

    A lost password or authenticator is not reset here: the member redeems a one-time re-key
    code (custody/enrolment.py `invite_rekey`) and makes a new key themselves (insider finding K4).
    """
    staff = await _staff(db, username)
    try:
        private = keyring.unwrap_staff_key(staff, old_password)
    except envelope.WrongPassword:
        raise StaffChangeRefused("the old password is wrong; nothing was changed") from None
    wrapped = envelope.wrap_with_password(new_password, private, kdf, keyring.STAFF_KEY_PURPOSE)
    await key_store.rewrap_staff_key(db, staff.id, wrapped, audit.pending("password_reset", staff=staff))
    return Reset(username)


async def move_staff(
    db: Database, username: str, to_unit: str, custodian_private: bytes, day: str, *, force: bool = False
) -> int | None:
    """Move someone to another unit; returns the old unit's new key id (None for call handlers).

    The new unit's keys are sealed to them, their copies of the old unit's keys deleted and
    the old unit's key rotated, all in one transaction.
    Security: as for a removal, the old unit's reports from after the move are sealed to a
    key they never held, even with a copy of the database from before it.
    """
    staff = await _staff(db, username)
    target = await units.get_unit(db, to_unit)
    if target is None:
        raise StaffChangeRefused(f"unknown unit {to_unit!r}; `python run.py keys list-units` lists them")
    try:
        keyring.check_role_fits_unit(staff.role, target)
    except keyring.KeyringError as exc:
        raise StaffChangeRefused(str(exc)) from None
    if to_unit == staff.unit_id:
        raise StaffChangeRefused(f"{username} is already in {to_unit}")
    await refuse_last_key_holder(db, staff, "the move", force)
    grants = await _unit_grants(db, to_unit, staff.role, await _certified(db, staff), custodian_private)
    rotation = None
    if staff.role in keyring.ROLES_WITH_UNIT_KEYS:
        rotation, _pair = await new_unit_key(db, staff.unit_id, day, leaving=staff.id)
    entry = audit.pending("staff_moved", staff=staff, detail=f"from={staff.unit_id} to={to_unit}")
    # Listed before the database changes (F2): their old unit's row and certificate, put back
    # by SQL, are refused; a crash in between leaves them refused there until the move is re-run.
    data_dir = db.path.parent
    listed = revoked.revoke(data_dir, staff.id, staff.unit_id)
    try:
        new_key = await key_store.change_staff_unit(db, staff.id, to_unit, grants, entry, rotation)
    except key_store.MembersChanged:
        if listed:
            revoked.reinstate(data_dir, staff.id, staff.unit_id)
        raise RotationError(
            f"the members of {staff.unit_id} changed meanwhile; nothing was changed, run it again"
        ) from None
    await certify.certify_staff(db, staff.id, to_unit, staff.role, staff.public_key)
    # A move back to a unit they once left (approved like any move) lifts that revocation.
    revoked.reinstate(data_dir, staff.id, to_unit)
    if grants:
        await enrolment_store.notify_members(db, to_unit, staff.id, notices.announcement(
            to_unit, staff.username, custodian.COMMAND_LINE, CUSTODIAN_APPROVAL, day
        ))
        await audit.keep_checkpoint(db)  # the notice entry must not be cut off unseen (N1)
    return new_key


async def create_unit(db: Database, unit_id: str, name: str, kind: str, day: str) -> int:
    """A new unit (a new force, or a force under a new name) with its first key pair.

    Security: its name is checked and may not look like any unit's (unit_admin.refuse_lookalike;
    the store's unique name key holds it too). UnitRefused says why a name is refused.
    """
    if await units.get_unit(db, unit_id) is not None:
        raise StaffChangeRefused(f"a unit called {unit_id!r} exists already")
    if kind not in ("force", "hub"):
        raise StaffChangeRefused("a unit is a force or a hub")
    name = unit_admin.check_unit_name(name)
    await unit_admin.refuse_lookalike(db, name)
    try:
        key_id = await keyring.create_unit_ring(db, UnitRow(unit_id, name, kind), day)
    except UnitNameTaken:  # a look-alike stored between the check and the write
        raise unit_admin.UnitRefused(f"{name!r} looks like another unit's name; nothing was made") from None
    await audit.record(db, audit.pending("unit_created", detail=f"unit={unit_id} key={key_id}"))
    return key_id


async def _certified(db: Database, staff: StaffRow) -> bytes:
    """The member's public key, only if certified (refused as a StaffChangeRefused otherwise)."""
    try:
        # Only the new unit's keys are sealed to them: a revocation of the unit they are
        # leaving (a move re-run after a crash) does not stop it.
        return await certify.staff_public(db, staff, leaving_unit=True)
    except certify.UncertifiedKey as exc:
        raise StaffChangeRefused(str(exc)) from None


async def _unit_grants(
    db: Database, unit_id: str, role: str, public_key: bytes, custodian_private: bytes
) -> dict[int, bytes]:
    if role not in keyring.ROLES_WITH_UNIT_KEYS:
        return {}
    opened = await keyring.unit_private_keys_from_custodian(db, unit_id, custodian_private)
    return {key_id: envelope.seal(public_key, private) for key_id, private in opened.items()}
