"""Security staff changes to accounts: password and authenticator resets, moving units, new units."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import audit, envelope, totp
from dropbox_server.clock import today
from dropbox_server.custody import certify, custodian, keyring
from dropbox_server.custody.revocation import refuse_last_key_holder
from dropbox_server.custody.rotation import RotationError, new_unit_key
from dropbox_server.store import Database, StaffRow, UnitRow, units
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store
from receipt_codes import KdfParams

CUSTODIAN_APPROVAL = "the custodian share holders"


class StaffChangeRefused(Exception):
    """The change cannot go ahead; the message says why. Nothing was changed."""


@dataclass(frozen=True)
class Reset:
    """What a reset produced: a new TOTP secret to hand over in person, when the key changed."""

    username: str
    new_key: bool
    totp_secret: str | None


async def _staff(db: Database, username: str) -> StaffRow:
    row = await staff_store.get_staff_by_username(db, username)
    if row is None:
        raise StaffChangeRefused(f"no member of staff is called {username!r}")
    return row


async def reset_password(
    db: Database,
    username: str,
    new_password: str,
    kdf: KdfParams,
    *,
    old_password: str | None,
    custodian_private: bytes | None,
    totp_secret: str | None = None,
) -> Reset:
    """Set a new password.

    With the old password, the same key pair is re-wrapped: nothing else changes. Without it,
    the old key cannot be opened, so the account gets a new key pair, a new TOTP secret and
    fresh copies of its unit's keys from the custodian key.
    Security: that path needs K custodian shares, is audited, is shown to the unit's members, and replaces the
    authenticator, so nobody can take over an account without the person noticing: their
    old authenticator stops working and the new secret must be handed to them.
    """
    staff = await _staff(db, username)
    if old_password is not None:
        try:
            private = keyring.unwrap_staff_key(staff, old_password)
        except envelope.WrongPassword:
            raise StaffChangeRefused("the old password is wrong; nothing was changed") from None
        wrapped = envelope.wrap_with_password(new_password, private, kdf, keyring.STAFF_KEY_PURPOSE)
        await key_store.rewrap_staff_key(db, staff.id, wrapped, audit.pending("password_reset", staff=staff))
        return Reset(username, new_key=False, totp_secret=None)
    if custodian_private is None:
        raise StaffChangeRefused("without the old password, the custodian shares are needed")
    pair = envelope.generate_keypair()
    # The command line passes a secret it has already shown, so a closed pipe loses nothing.
    secret = totp_secret if totp_secret is not None else totp.new_secret()
    grants = await _unit_grants(db, staff.unit_id, staff.role, pair.public, custodian_private)
    await key_store.replace_staff_key(
        db,
        staff.id,
        public_key=pair.public,
        wrapped_private_key=envelope.wrap_with_password(
            new_password, pair.private, kdf, keyring.STAFF_KEY_PURPOSE
        ),
        totp_secret_sealed=envelope.seal(pair.public, secret.encode("ascii")),
        unit_key_grants=grants,
        audit=audit.pending("password_reset", staff=staff, detail="new_key"),
    )
    await certify.certify_staff(db, staff.id, staff.unit_id, staff.role, pair.public)
    if grants:
        # A new key now holds the unit's keys: every other member is told, as for a newcomer.
        await enrolment_store.notify_members(
            db, staff.unit_id, staff.username, custodian.COMMAND_LINE, CUSTODIAN_APPROVAL, today()
        )
    return Reset(username, new_key=True, totp_secret=secret)


async def reset_totp(db: Database, username: str, secret: str | None = None) -> str:
    """A new authenticator secret (made here unless given), sealed to the account's public key.

    Returns it to hand over; the command line passes one it has already shown.
    """
    staff = await _staff(db, username)
    secret = secret if secret is not None else totp.new_secret()
    sealed = envelope.seal(await _certified(db, staff), secret.encode("ascii"))
    await staff_store.replace_totp_secret(db, staff.id, sealed, -1, audit.pending("totp_reset", staff=staff))
    return secret


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
    try:
        new_key = await key_store.change_staff_unit(db, staff.id, to_unit, grants, entry, rotation)
    except key_store.MembersChanged:
        raise RotationError(
            f"the members of {staff.unit_id} changed meanwhile; nothing was changed, run it again"
        ) from None
    await certify.certify_staff(db, staff.id, to_unit, staff.role, staff.public_key)
    if grants:
        await enrolment_store.notify_members(
            db, to_unit, staff.username, custodian.COMMAND_LINE, CUSTODIAN_APPROVAL, day
        )
    return new_key


async def create_unit(db: Database, unit_id: str, name: str, kind: str, day: str) -> int:
    """A new unit (a new force, or a force under a new name) with its first key pair."""
    if await units.get_unit(db, unit_id) is not None:
        raise StaffChangeRefused(f"a unit called {unit_id!r} exists already")
    if kind not in ("force", "hub"):
        raise StaffChangeRefused("a unit is a force or a hub")
    key_id = await keyring.create_unit_ring(db, UnitRow(unit_id, name, kind), day)
    await audit.record(db, audit.pending("unit_created", detail=f"unit={unit_id} key={key_id}"))
    return key_id


async def _certified(db: Database, staff: StaffRow) -> bytes:
    """The member's public key, only if certified (refused as a StaffChangeRefused otherwise)."""
    try:
        return await certify.staff_public(db, staff)
    except certify.UncertifiedKey as exc:
        raise StaffChangeRefused(str(exc)) from None


async def _unit_grants(
    db: Database, unit_id: str, role: str, public_key: bytes, custodian_private: bytes
) -> dict[int, bytes]:
    if role not in keyring.ROLES_WITH_UNIT_KEYS:
        return {}
    opened = await keyring.unit_private_keys_from_custodian(db, unit_id, custodian_private)
    return {key_id: envelope.seal(public_key, private) for key_id, private in opened.items()}
