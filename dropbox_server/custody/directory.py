"""Who and what the staff site names: units, a unit's key holders, and whether an account changed.

Read-only look-ups over store/, so that views never touch the store themselves.
"""

from __future__ import annotations

from dropbox_server.custody import unit_check
from dropbox_server.store import Database, StaffRow
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store import unit_admin as unit_admin_store
from dropbox_server.store import units as unit_store


async def unit_names(db: Database) -> dict[str, str]:
    """Every unit's name by its id."""
    return {u.id: u.name for u in await unit_store.list_units(db)}


async def receiving_units(db: Database) -> list[tuple[str, str]]:
    """(id, name) of every unit a desk package can go to: all units but the desk itself.

    Security (insider finding U2): not a unit failing its certificate or its name checks.
    """
    every = await unit_admin_store.unit_facts(db)
    bad = unit_check.unit_problems(db.audit_seed, every)
    listed = {u.id for u in every if u.kind != "desk" and u.id not in bad}
    return [(u.id, u.name) for u in await unit_store.list_units(db) if u.id in listed]


async def unit_name(db: Database, unit_id: str) -> str:
    """A unit's name (its id when the unit is gone)."""
    unit = await unit_store.get_unit(db, unit_id)
    return unit.name if unit else unit_id


async def key_holder_names(db: Database, unit_id: str) -> dict[int, str]:
    """The unit's key-holding members by id: who reports can be assigned to."""
    return {m.id: m.username for m in await key_store.members_with_unit_keys(db, unit_id)}


async def account_unchanged(db: Database, signed_in_as: StaffRow) -> bool:
    """The account still exists with the same key, unit and role as at sign-in.

    Security: security staff remove or move people from the command line, in another
    process; this check ends a removed person's live session at their next request.
    """
    now = await staff_store.get_staff(db, signed_in_as.id)
    return now is not None and (now.public_key, now.unit_id, now.role) == (
        signed_in_as.public_key,
        signed_in_as.unit_id,
        signed_in_as.role,
    )
