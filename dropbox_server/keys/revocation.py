"""Removing a member of staff: their keys go, and their unit's key is rotated."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import audit
from dropbox_server.keys.rotation import Rotation, rotate_unit_key
from dropbox_server.store import Database
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store


class RemovalRefused(Exception):
    """Removing would leave a problem; the message says what and how to go ahead anyway."""


@dataclass(frozen=True)
class Removal:
    username: str
    unit_id: str
    rotation: Rotation | None


async def remove_staff(
    db: Database, username: str, custodian_private: bytes, day: str, *, force: bool = False
) -> Removal:
    """Delete the account, its wrapped key and its copies of unit keys, then rotate the unit key.

    Security: after this, a copy of the old database plus the removed person's password
    opens only what was sealed before the removal; everything submitted afterwards is
    sealed to a key they never held. Removing the last key holder of a unit is refused
    unless forced: the unit's reports would then open only through the custodian key.
    """
    staff = await staff_store.get_staff_by_username(db, username)
    if staff is None:
        raise RemovalRefused(f"no member of staff is called {username!r}")
    holders = await key_store.members_with_unit_keys(db, staff.unit_id)
    if [h.id for h in holders] == [staff.id] and not force:
        raise RemovalRefused(
            f"{username} is the last member of {staff.unit_id} who can read its reports; "
            "after removal only the security staff passphrase could open them. "
            "Enrol a replacement first, or use --force."
        )
    await key_store.delete_staff(
        db, staff.id, audit.pending("staff_removed", username=staff.username, detail=f"unit={staff.unit_id}")
    )
    rotation = None
    if staff.role in ("investigator", "supervisor"):
        rotation = await rotate_unit_key(db, staff.unit_id, custodian_private, day)
    return Removal(staff.username, staff.unit_id, rotation)
