"""Unit key rings, the custodian (escrow) key of security staff, and staff key pairs.

Security: a unit's private key exists on disk only sealed to the public keys of the
unit's members and of the custodian. The custodian's private key is held offline as K-of-N
SLIP-39 shares (custody/custodian.py), so creating units needs nobody's secret, and enrolling
the first investigator or restoring from backup needs K share holders, never one person.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import envelope
from dropbox_server.custody import certify
from dropbox_server.store import Database, UnitRow, units
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store.records import StaffRow

STAFF_KEY_PURPOSE = b"tipdrop:v1:staff-key"
DESK_ANALYST = "desk_analyst"  # reads reports at the desk, drafts packages
DESK_SUPERVISOR = "desk_supervisor"  # also approves or rejects another member's package
DESK_ROLES = frozenset({DESK_ANALYST, DESK_SUPERVISOR})
ROLES_WITH_UNIT_KEYS = frozenset({"investigator", "supervisor"}) | DESK_ROLES
# Security staff sign in only to see the service's health; they hold no unit key and read no report.
SECURITY = "security"
ROLES = ("investigator", "supervisor", "call_handler", DESK_ANALYST, DESK_SUPERVISOR, SECURITY)
SUPERVISOR = "supervisor"  # sees the unit's statistics and assigns its reports


class KeyringError(Exception):
    """A key operation cannot go ahead; the message says why in plain words."""


@dataclass(frozen=True, repr=False)
class UnlockedStaff:
    """A signed-in staff member's private key and the unit private keys it opens."""

    staff: StaffRow
    private_key: bytes
    unit_keys: dict[int, bytes]

    def __repr__(self) -> str:
        return f"UnlockedStaff({self.staff.username})"


async def create_unit_ring(db: Database, unit: UnitRow, day: str) -> int:
    """Create a unit with its first key pair, sealed to the custodian; returns the key id."""
    try:
        custodian_public = await certify.custodian_public(db)
    except certify.UncertifiedKey as exc:
        raise KeyringError(str(exc)) from None
    await units.insert_unit(db, unit, day, certify.certify_unit(db, unit.id, unit.name, unit.kind, None))
    pair = envelope.generate_keypair()
    return await units.insert_unit_key(
        db, unit.id, pair.public, day, {None: envelope.seal(custodian_public, pair.private)},
        certify.unit_key_certifier(db, unit.id, pair.public),
    )


async def unit_private_keys_from_custodian(
    db: Database, unit_id: str, custodian_private: bytes
) -> dict[int, bytes]:
    """Every key of a unit's ring, opened with the custodian key."""
    return {
        g.unit_key_id: envelope.unseal(custodian_private, g.sealed_private_key)
        for g in await units.custodian_grants(db, unit_id)
    }


async def check_new_account(db: Database, username: str, unit_id: str, role: str) -> None:
    """Refuse an unknown role or unit, a role that does not fit the unit (desk roles at the
    desk only), or a username a member (or an account waiting for approval) already has."""
    if role not in ROLES:
        raise KeyringError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    unit = await units.get_unit(db, unit_id)
    if unit is None:
        raise KeyringError(f"unknown unit {unit_id!r}; `python run.py keys list-units` lists them")
    check_role_fits_unit(role, unit)
    if await staff_store.get_staff_by_username(db, username) is not None:
        raise KeyringError(f"the username {username!r} is taken")
    if await enrolment_store.pending_by_username(db, username) is not None:
        raise KeyringError(f"the username {username!r} is taken (an account waiting for approval)")


def check_role_fits_unit(role: str, unit: UnitRow) -> None:
    """Desk roles belong to the desk, force roles to force units; call handlers to either.

    Security: a force investigator enrolled at the desk would read every reporter's words,
    and a desk role in a force unit would mean nothing; both are refused.
    """
    at_desk = unit.kind == "desk"
    if role in DESK_ROLES and not at_desk:
        raise KeyringError(f"{role} is a role at the desk; enrol them with --unit of the desk")
    if at_desk and role in ("investigator", "supervisor"):
        raise KeyringError("the desk's members are desk_analyst or desk_supervisor")


def unwrap_staff_key(staff: StaffRow, password: str) -> bytes:
    """The staff member's private key; raises envelope.WrongPassword. Slow: run in the KDF pool."""
    return envelope.unwrap_with_password(password, staff.wrapped_private_key, STAFF_KEY_PURPOSE)


async def unlock_staff(db: Database, staff: StaffRow, private_key: bytes) -> UnlockedStaff:
    """Open the unit keys sealed to a staff member whose private key is already unwrapped."""
    opened = {
        g.unit_key_id: envelope.unseal(private_key, g.sealed_private_key)
        for g in await units.grants_for_staff(db, staff.id)
    }
    return UnlockedStaff(staff=staff, private_key=private_key, unit_keys=opened)
