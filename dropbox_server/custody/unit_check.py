"""Which units may be offered on a list of forces: each unit's row against its certificate,
its name against the name rule and its stored name key, and no look-alike of another unit.

Security (insider findings U2 and U3): a database writer can set units.name, name_key and
retired_day, and rows older than the name rule were never checked. A unit that fails any
check here is offered on no form and no passing-on list, and `status` names it, until
security staff (K custodian shares) rename it or the copy is restored. Silent on purpose:
the reporter's form reads this, and nothing a reporter does is logged (invariant 2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from dropbox_server import unit_names
from dropbox_server.custody import certify
from dropbox_server.custody.unit_admin import FORM_OPTIONS, RESERVED, shown_names
from dropbox_server.forces import DESK_ID, FORCES, HUB_ID
from dropbox_server.store import Database
from dropbox_server.store import unit_admin as unit_store
from dropbox_server.store.records import UnitFacts

FORM = "(a form's own choice)"
# Problems only putting the row back from a backup mends (rename-unit certifies only from a
# row whose certificate holds): `keys list-units` says so (insider finding V8).
CERTIFICATE_FAILED = "fails its certificate (name, kind, retirement altered, or an old row back)"
ROW_MISSING = "its row is missing (deleted from the database)"
RESTORE_ONLY = (CERTIFICATE_FAILED, ROW_MISSING)


def unit_problems(seed: bytes | None, units: Sequence[UnitFacts]) -> dict[str, str]:
    """unit id -> why it may not be offered, for every unit that fails a check.

    `seed` None (no audit.key) skips only the certificate: `serve` refuses to start without
    it and health fails on it, so that is a test or a half-made directory, never a service.
    """
    problems: dict[str, str] = {}
    for unit in units:
        if seed is not None and not certify.unit_holds(seed, unit):
            problems[unit.id] = CERTIFICATE_FAILED
            continue
        try:
            rule_ok = unit_names.checked_name(unit.name) == unit.name
        except unit_names.UnitNameRefused:
            rule_ok = False
        if not rule_ok:
            problems[unit.id] = "its name breaks the name rule (hidden or other-script characters)"
        elif unit.name_key is not None and unit.name_key != unit_names.name_key(unit.name):
            problems[unit.id] = "its stored name key does not match its name"
    # Look-alikes among the rest: EVERY unit of a group is flagged, none keeps a place a writer
    # could choose (U3). A unit already failing is on no list, so it cannot push another off.
    # (A NULL name key, left by migration 0021 for a clash, is judged here by the names.)
    seen: dict[str, set[str]] = defaultdict(set)  # name key -> units (or form texts) shown by it
    for unit in units:
        if unit.id in problems:
            continue
        for shown in shown_names(unit.id, unit.name):
            seen[unit_names.name_key(shown)].add(unit.id)
    for unit_id, name in RESERVED:
        for shown in shown_names(unit_id, name):
            seen[unit_names.name_key(shown)].add(unit_id)
    for option in FORM_OPTIONS:
        for shown in shown_names("", option):
            seen[unit_names.name_key(shown)].add(FORM)
    for unit in units:
        if unit.id in problems:
            continue
        alike = set().union(*(seen[unit_names.name_key(s)] for s in shown_names(unit.id, unit.name)))
        alike.discard(unit.id)
        if alike:
            problems[unit.id] = f"its name looks like {', '.join(sorted(alike))}"
    return problems


async def offered_units(db: Database) -> list[UnitFacts]:
    """Units that take new reports (not retired) and pass every check, hub first then by name."""
    every = await unit_store.unit_facts(db)
    bad = unit_problems(db.audit_seed, every)
    return [u for u in every if u.retired_day is None and u.id not in bad]


def missing_units(present: set[str], named: set[str], routing: str) -> dict[str, str]:
    """unit id -> why, for every unit that should have a row and has none.

    Security (insider finding V3): deleting a unit's row takes it off every form as surely as
    altering it, and deleting the hub's (or, under desk routing, the desk's) makes reports for
    it fail. Expected: every seeded force, the hub, the desk when routing needs it, and every
    unit a key, a member, a report or the audit log names.
    """
    expected = {f.unit_id for f in FORCES} | {HUB_ID} | named
    if routing == "desk":
        expected.add(DESK_ID)
    return {u: ROW_MISSING for u in sorted(expected - present)}
