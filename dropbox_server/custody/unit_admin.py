"""Units as security staff manage them: checked ids and names, renaming, retiring, and who holds
which key."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dropbox_server import audit
from dropbox_server.store import Database, units
from dropbox_server.store import unit_admin as unit_store

# A unit id is a lowercase slug: it appears in URLs, audit details and the command line.
_UNIT_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_UNIT_ID = 60
MAX_UNIT_NAME = 200
# Usernames are typed at sign-in and shown to colleagues: lowercase letters, digits, . _ -
_USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")


class UnitRefused(Exception):
    """The unit change cannot go ahead; the message says why. Nothing was changed."""


def check_unit_id(unit_id: str) -> str:
    if len(unit_id) > MAX_UNIT_ID or not _UNIT_ID.fullmatch(unit_id):
        raise UnitRefused(
            f"a unit id is lowercase letters and digits in words joined by '-', at most "
            f"{MAX_UNIT_ID} characters (e.g. new-force-police), not {unit_id!r}"
        )
    return unit_id


def check_unit_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise UnitRefused("a unit needs a name")
    if len(name) > MAX_UNIT_NAME or not name.isprintable():
        raise UnitRefused(f"a unit name is at most {MAX_UNIT_NAME} printable characters")
    return name


def check_username(username: str) -> str:
    """Security: no look-alike or invisible characters in the names staff sign in with."""
    if not _USERNAME.fullmatch(username):
        raise UnitRefused(
            "a username is 2 to 64 characters: a lowercase letter, then lowercase letters, "
            f"digits, '.', '_' or '-' (e.g. jo.smith), not {username!r}"
        )
    return username


async def existing_unit(db: Database, unit_id: str) -> str:
    if await units.get_unit(db, unit_id) is None:
        raise UnitRefused(f"there is no unit {unit_id!r}; `python run.py keys list-units` lists them")
    return unit_id


async def rename_unit(db: Database, unit_id: str, name: str) -> str:
    """A new display name; the id, keys and reports stay. Returns the old name."""
    unit = await units.get_unit(db, await existing_unit(db, unit_id))
    assert unit is not None
    entry = audit.pending("unit_renamed", unit_id=unit_id, detail=f"unit={unit_id}")
    await unit_store.rename_unit(db, unit_id, check_unit_name(name), entry)
    return unit.name


async def retire_unit(db: Database, unit_id: str, day: str) -> None:
    """No new reports are routed to the unit; refused while it holds open reports.

    Security: the check runs in the retiring transaction, so a report cannot slip in between.
    Its keys and closed reports stay, readable by its members and the custodian.
    """
    await existing_unit(db, unit_id)
    if await unit_store.unit_retired_day(db, unit_id) is not None:
        raise UnitRefused(f"{unit_id} is already retired")
    entry = audit.pending("unit_retired", unit_id=unit_id, detail=f"unit={unit_id}")
    still_open = await unit_store.retire_unit(db, unit_id, day, entry)
    if still_open:
        raise UnitRefused(
            f"{unit_id} still holds {len(still_open)} open report(s) ({', '.join(still_open[:10])}"
            f"{', …' if len(still_open) > 10 else ''}); pass them on to another unit first "
            "(investigator site), then retire it"
        )


@dataclass(frozen=True)
class UnitKeys:
    """A unit as `keys list-units` shows it."""

    unit_id: str
    name: str
    retired_day: str | None
    keys: list[unit_store.KeyHolders]

    @property
    def current(self) -> unit_store.KeyHolders | None:
        live = [k for k in self.keys if k.retired_day is None]
        return live[-1] if live else None

    @property
    def custodian_only(self) -> list[int]:
        """Unretired keys no member holds: only the custodian key opens what is sealed to them."""
        return [k.key_id for k in self.keys if k.retired_day is None and not k.members and k.custodian]

    @property
    def unheld(self) -> list[int]:
        """Unretired keys nobody holds at all: what is sealed to them cannot be read."""
        return [k.key_id for k in self.keys if k.retired_day is None and not k.members and not k.custodian]


async def units_with_keys(db: Database, unit_id: str | None = None) -> list[UnitKeys]:
    out = []
    for unit in await units.list_units(db):
        if unit_id is not None and unit.id != unit_id:
            continue
        out.append(
            UnitKeys(
                unit.id,
                unit.name,
                await unit_store.unit_retired_day(db, unit.id),
                await unit_store.key_holders(db, unit.id),
            )
        )
    return out
