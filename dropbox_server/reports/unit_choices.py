"""The forces a reporter (or a call handler, for a caller) can choose: read from the database.

`forces.FORCES` only seeds the units at `init`; units created, renamed or retired by security
staff on the command line appear on (or leave) the forms at once.
"""

from __future__ import annotations

from dropbox_server.forces import FORCES_BY_ID, Force
from dropbox_server.store import Database, unit_admin


async def force_choices(db: Database) -> list[Force]:
    """Every force unit that takes new reports, in the database's order (by name).

    A seeded force keeps its (translatable) name until security staff rename its unit.
    """
    out = []
    for unit_id, name, kind in await unit_admin.active_units(db):
        if kind != "force":
            continue
        seeded = FORCES_BY_ID.get(unit_id)
        out.append(seeded if seeded is not None and seeded.unit_name == name else Force(unit_id, name))
    return out


async def active_force_ids(db: Database) -> frozenset[str]:
    """Ids of the force units new reports may be routed to (not retired)."""
    return frozenset(f.unit_id for f in await force_choices(db))


async def pass_on_ids(db: Database, from_unit: str) -> list[str]:
    """Units a report or package may be passed to: forces and the hub that take new reports
    (not retired), never the sender itself nor the desk (the desk hands on by packages)."""
    return [uid for uid, _name, kind in await unit_admin.active_units(db)
            if uid != from_unit and kind in ("force", "hub")]  # fmt: skip
