"""Removing a member of staff: their keys go, and their unit's key is rotated at the same moment."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import audit
from dropbox_server.custody import keyring, revoked
from dropbox_server.custody.rotation import RotationError, new_unit_key
from dropbox_server.store import Database, StaffRow
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store


class RemovalRefused(Exception):
    """Removing would leave a problem; the message says what and how to go ahead anyway."""


@dataclass(frozen=True)
class Removal:
    username: str
    unit_id: str
    new_key_id: int | None


async def refuse_last_key_holder(db: Database, staff: StaffRow, doing: str, force: bool) -> None:
    """Refuse to take the last key holder out of a unit unless forced, saying what it would mean."""
    if force or staff.role not in keyring.ROLES_WITH_UNIT_KEYS:
        return
    holders = await key_store.members_with_unit_keys(db, staff.unit_id)
    if [h.id for h in holders] == [staff.id]:
        raise RemovalRefused(
            f"{staff.username} is the last member of {staff.unit_id} who can read its reports; "
            f"after {doing} nobody in the unit could, and only K custodian shares "
            "(the custodian key) would open them. Enrol a replacement first, or use --force."
        )


async def remove_staff(db: Database, username: str, day: str, *, force: bool = False) -> Removal:
    """Delete the account, its wrapped key and its copies of unit keys, and rotate the unit key.

    Security: both happen in one transaction, after the pair (id, unit) is listed in the
    revocation file outside the database (custody/revoked.py), so no SQL write brings them back.
    Afterwards a copy of the old database plus the removed person's password opens only what
    was sealed before the removal; everything
    submitted later is sealed to a key they never held. The custodian key is not needed: the
    new key is sealed to the remaining members' and the custodian's public keys.
    """
    staff = await staff_store.get_staff_by_username(db, username)
    if staff is None:
        raise RemovalRefused(f"no member of staff is called {username!r}")
    await refuse_last_key_holder(db, staff, "removal", force)
    rotation = None
    if staff.role in keyring.ROLES_WITH_UNIT_KEYS:
        rotation, _pair = await new_unit_key(db, staff.unit_id, day, leaving=staff.id)
    entry = audit.pending("staff_removed", staff=staff, detail=f"role={staff.role}")
    # Listed before the database changes (F2): a crash in between leaves the row refused
    # until the removal is run again, never a removed member the database can revive.
    listed = revoked.revoke(db.path.parent, staff.id, staff.unit_id)
    try:
        key_id = await key_store.delete_staff(db, staff.id, entry, rotation)
    except key_store.MembersChanged:
        if listed:
            revoked.reinstate(db.path.parent, staff.id, staff.unit_id)
        raise RotationError(
            f"the members of {staff.unit_id} changed meanwhile; nothing was changed, run it again"
        ) from None
    return Removal(staff.username, staff.unit_id, key_id)
