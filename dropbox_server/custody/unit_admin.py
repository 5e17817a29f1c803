"""Units as security staff manage them: checked ids and names, renaming, retiring, and who holds
which key."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dropbox_server import audit, unit_names
from dropbox_server.custody import certify
from dropbox_server.forces import DESK_ID, DESK_NAME, FORCES_BY_ID, HUB_ID, HUB_NAME
from dropbox_server.i18n import translations
from dropbox_server.store import Database, units
from dropbox_server.store import unit_admin as unit_store
from dropbox_server.store.errors import UnitNameTaken
from dropbox_server.store.records import UnitFacts

# A unit id is a lowercase slug: it appears in URLs, audit details and the command line.
_UNIT_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_UNIT_ID = 60
MAX_UNIT_NAME = unit_names.MAX_UNIT_NAME
# The languages the forms show unit names in (a Welsh page shows "Heddlu Gwent").
_SHOWN_IN = ("en", "cy")
# The service's own units keep their names even before they exist: the desk is made only when
# routing switches to it, and a unit already called "Independent reporting desk" must not
# pass for it (nor block the switch).
RESERVED = ((DESK_ID, DESK_NAME), (HUB_ID, HUB_NAME))
# The forms' own options on the lists of forces (reporter, phone and passing-on forms; gettext
# ids, so the Welsh texts are reserved too): a unit called "I don’t know" would sit beside
# the option that sends a report to the national hub (insider finding U4).
FORM_OPTIONS = ("I don’t know", "Choose a force", "Choose a force…")
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
    """A new unit name as stored (unit_names.checked_name), or UnitRefused saying why."""
    try:
        return unit_names.checked_name(name)
    except unit_names.UnitNameRefused as exc:
        raise UnitRefused(str(exc)) from None


def shown_names(unit_id: str, name: str) -> set[str]:
    """Every name a unit is shown by: its own and, for a seeded force still under its seeded
    unit name, the force's short name the reporter's form shows, each in every language."""
    names = {name}
    seeded = FORCES_BY_ID.get(unit_id)
    if seeded is not None and seeded.unit_name == name:
        names.add(str(seeded.name))
    return {translations(lang).gettext(n) for n in names for lang in _SHOWN_IN} | names


async def refuse_lookalike(db: Database, name: str, *, but: str | None = None) -> None:
    """UnitRefused if `name` looks like a name another unit (retired ones too) is shown by.

    Security: a new or renamed unit cannot pass for another on the reporter's, the phone
    form's or the passing-on lists (NFKC, case, accents, spacing, punctuation and look-alike
    letters all folded: unit_names.name_key). Keys are computed here from every unit's
    name, so units migration 0021 left without a stored key count too.
    """
    wanted = unit_names.name_key(name)
    for option in FORM_OPTIONS:
        if any(unit_names.name_key(shown) == wanted for shown in shown_names("", option)):
            raise UnitRefused(f"{name!r} looks like one of the forms' own choices; choose another name")
    existing = [(unit_id, stored) for unit_id, stored, _keyed in await unit_store.unit_names(db)]
    for unit_id, stored in [*existing, *RESERVED]:
        if unit_id == but:
            continue
        if any(unit_names.name_key(shown) == wanted for shown in shown_names(unit_id, stored)):
            raise UnitRefused(
                f"{name!r} looks like the name of the unit {unit_id} ({stored!r}); "
                "choose a name nobody could take for it"
            )


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


async def _certified(db: Database, unit_id: str) -> UnitFacts:
    """The unit's row as certified; UnitRefused if there is none or it fails (audited).

    Security (insider finding U2): a change is certified from the checked row, never from
    columns a database writer may have set.
    """
    await existing_unit(db, unit_id)
    try:
        unit = await certify.checked_unit(db, unit_id)
    except certify.UncertifiedKey as exc:
        raise UnitRefused(str(exc)) from None
    assert unit is not None
    return unit


async def rename_unit(db: Database, unit_id: str, name: str) -> str:
    """A new display name; the id, keys and reports stay. Returns the old name."""
    name = check_unit_name(name)
    unit = await _certified(db, unit_id)
    await refuse_lookalike(db, name, but=unit_id)
    cert = certify.certify_unit(db, unit_id, name, unit.kind, unit.retired_day)
    # The entry names the new certificate: the row must match it from now on (V1).
    entry = audit.pending("unit_renamed", unit_id=unit_id, detail=certify.unit_change_detail(unit_id, cert))
    try:
        await unit_store.rename_unit(db, unit, name, cert, entry)
    except UnitNameTaken:  # a look-alike stored between the check and the write
        raise UnitRefused(f"{name!r} looks like another unit's name; nothing was renamed") from None
    except unit_store.UnitChanged:
        raise UnitRefused(f"{unit_id} changed meanwhile; nothing was renamed, run it again") from None
    await audit.keep_checkpoint(db)  # cutting the entry off the tail is seen (V1)
    return unit.name


async def retire_unit(db: Database, unit_id: str, day: str) -> None:
    """No new reports are routed to the unit; refused while it holds open reports.

    Security: the check runs in the retiring transaction, so a report cannot slip in between.
    Its keys and closed reports stay, readable by its members and the custodian.
    """
    unit = await _certified(db, unit_id)
    if unit.retired_day is not None:
        raise UnitRefused(f"{unit_id} is already retired")
    cert = certify.certify_unit(db, unit_id, unit.name, unit.kind, day)
    # The entry names the new certificate: the unretired row cannot come back (V1).
    entry = audit.pending("unit_retired", unit_id=unit_id, detail=certify.unit_change_detail(unit_id, cert))
    try:
        still_open = await unit_store.retire_unit(db, unit, day, cert, entry)
    except unit_store.UnitChanged:
        raise UnitRefused(f"{unit_id} changed meanwhile; nothing was retired, run it again") from None
    if still_open:
        raise UnitRefused(
            f"{unit_id} still holds {len(still_open)} open report(s) ({', '.join(still_open[:10])}"
            f"{', …' if len(still_open) > 10 else ''}); pass them on to another unit first "
            "(investigator site), then retire it"
        )
    await audit.keep_checkpoint(db)  # cutting the entry off the tail is seen (V1)


@dataclass(frozen=True)
class UnitKeys:
    """A unit as `keys list-units` shows it."""

    unit_id: str
    name: str
    retired_day: str | None
    keys: list[unit_store.KeyHolders]
    # Why it is offered on no form (custody/unit_check.py), or None.
    problem: str | None = None

    @property
    def name_clash(self) -> bool:
        """It is offered on no form: its name looks like another's, breaks the rule, or fails."""
        return self.problem is not None

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


async def units_with_keys(
    db: Database, unit_id: str | None = None, problems: dict[str, str] | None = None
) -> list[UnitKeys]:
    """Units with their keys; `problems` (custody/unit_check.unit_problems) marks units
    offered on no form. Without it, units migration 0021 left without a name key are."""
    out = []
    if problems is None:
        keyed = {uid: has_key for uid, _name, has_key in await unit_store.unit_names(db)}
        problems = {uid: "its name looks like another unit's" for uid, ok in keyed.items() if not ok}
    for unit in await units.list_units(db):
        if unit_id is not None and unit.id != unit_id:
            continue
        out.append(
            UnitKeys(
                unit.id,
                unit.name,
                await unit_store.unit_retired_day(db, unit.id),
                await unit_store.key_holders(db, unit.id),
                problem=problems.get(unit.id),
            )
        )
    return out
