"""The forces a reporter (or a call handler, for a caller) can choose: read from the database.

`forces.FORCES` only seeds the units at `init`; units created, renamed or retired by security
staff on the command line appear on (or leave) the forms at once.
"""

from __future__ import annotations

from dropbox_server.custody.unit_check import offered_units
from dropbox_server.forces import FORCES_BY_ID, Force
from dropbox_server.store import Database


async def force_choices(db: Database) -> list[Force]:
    """Every force unit that takes new reports, in the database's order (by name).

    A seeded force keeps its (translatable) name until security staff rename its unit.
    Security (insider findings U2, U3): a unit failing its certificate or name checks is not
    offered (custody/unit_check.py), so a reporter cannot choose it nor be routed to it.
    """
    out = []
    for unit in await offered_units(db):
        if unit.kind != "force":
            continue
        seeded = FORCES_BY_ID.get(unit.id)
        keeps_seeded = seeded is not None and seeded.unit_name == unit.name
        out.append(seeded if seeded is not None and keeps_seeded else Force(unit.id, unit.name))
    return out


async def active_force_ids(db: Database) -> frozenset[str]:
    """Ids of the force units new reports may be routed to (not retired)."""
    return frozenset(f.unit_id for f in await force_choices(db))


async def pass_on_ids(db: Database, from_unit: str) -> list[str]:
    """Units a report or package may be passed to: forces and the hub that take new reports
    (not retired), never the sender itself nor the desk (the desk hands on by packages)."""
    return [u.id for u in await offered_units(db)
            if u.id != from_unit and u.kind in ("force", "hub")]  # fmt: skip
