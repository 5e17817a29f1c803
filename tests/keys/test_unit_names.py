"""Issue 18 follow-up: no unit may pass for another on a list of forces.

Before: unit names were only trimmed and checked printable, and not compared, so one officer
(and, with the K-share fix, a tired set of share holders) could add "Kent  Police",
"KENT POLICE" or "Kеnt Police" (a Cyrillic е) beside Kent's unit; the reporter's form
offered both. Now a new name must be Latin letters (accents allowed), digits, spaces and
common punctuation, and must not share a name key with any name a unit is shown by.
"""

from __future__ import annotations

import pytest

from dropbox_server import unit_names
from dropbox_server.clock import today
from dropbox_server.custody import staff_changes, unit_admin
from dropbox_server.forces import DESK_NAME, FORCES, HUB_NAME
from dropbox_server.reports.unit_choices import force_choices
from dropbox_server.store import UnitRow, units
from dropbox_server.store.errors import UnitNameTaken
from dropbox_server.web.appkeys import Services

WELSH = ["Heddlu Gogledd Cymru", "Uned Safonau Proffesiynol Ŵyr", "Tŷ Ynys Môn", "Llŷn ẁ ẃ ẅ ỳ ŷ ŵ", "Garda Síochána"]
REFUSED = [
    "K\u0435nt Police",  # a Cyrillic е among Latin letters
    "\u041a\u0435\u043d\u0442",  # all Cyrillic
    "Kent\u200bPolice",  # an invisible zero-width space
    "Kent Police\u202e",  # a right-to-left override
    "K\u0131nt Police",  # a dotless ı: Latin, but with no accented-ASCII form
    "\u1d0bent Police",  # a Latin small capital K
    "Kent Police\u0301\u0301",  # NFKC makes é; the second accent is left on its own
    "Kent Police \U0001f46e",
]
LOOK_ALIKES_OF_KENT = [
    "Kent Police", "Kent  Police", "KENT POLICE", "kent-police", "Kent Police.", "Kënt Police",
    "\uff2b\uff45\uff4e\uff54 Police",  # full-width letters: NFKC makes them ASCII
    "Kent Pol1ce", "Kent Po lice", "Kent Police: Professional Standards and Anti-Corruption",
]


@pytest.mark.parametrize("name", WELSH)
def test_welsh_irish_and_gaelic_letters_are_allowed(name: str) -> None:
    assert unit_names.checked_name(name) == name


@pytest.mark.parametrize("name", REFUSED)
def test_other_scripts_invisible_and_lookalike_letters_are_refused(name: str) -> None:
    with pytest.raises(unit_names.UnitNameRefused):
        unit_names.checked_name(name)


def test_the_seeded_names_pass_the_rule_and_no_two_look_alike() -> None:
    names = [f.unit_name for f in FORCES] + [str(f.name) for f in FORCES] + [HUB_NAME, DESK_NAME]
    assert [unit_names.checked_name(n) for n in names] == names
    assert len({unit_names.name_key(n) for n in names}) == len(names)


def test_cyrillic_lookalikes_share_the_latin_key() -> None:
    """For names stored before the rule (or written by SQL): they still clash."""
    assert unit_names.name_key("\u041a\u0435nt P\u043e\u0456ice") == unit_names.name_key("Kent Police")
    assert unit_names.name_key("\u041a\u0435nt Police") == unit_names.name_key("Kent Police")


@pytest.mark.parametrize("name", LOOK_ALIKES_OF_KENT)
async def test_a_unit_that_looks_like_kent_is_refused(services: Services, name: str) -> None:
    with pytest.raises(unit_admin.UnitRefused, match="kent-police"):
        await staff_changes.create_unit(services.db, "kent-psd", name, "force", today())
    assert await units.get_unit(services.db, "kent-psd") is None
    assert [f.unit_id for f in await force_choices(services.db) if "kent" in f.unit_id] == ["kent-police"]


async def test_the_welsh_name_a_force_is_shown_by_is_taken_too(services: Services) -> None:
    with pytest.raises(unit_admin.UnitRefused, match="gwent-police"):
        await staff_changes.create_unit(services.db, "gwent-psd", "Heddlu  Gwent", "force", today())


async def test_a_retired_units_name_and_the_hub_are_taken_and_a_new_name_is_not(services: Services) -> None:
    await staff_changes.create_unit(services.db, "new-force", "New Force Police", "force", today())
    await unit_admin.retire_unit(services.db, "new-force", today())
    with pytest.raises(unit_admin.UnitRefused, match="new-force"):
        await staff_changes.create_unit(services.db, "new-force-2", "NEW FORCE POLICE", "force", today())
    with pytest.raises(unit_admin.UnitRefused, match="national-hub"):
        await staff_changes.create_unit(services.db, "hub-2", HUB_NAME.upper(), "hub", today())
    with pytest.raises(unit_admin.UnitRefused, match="Latin letters"):
        await staff_changes.create_unit(services.db, "kent-2", "K\u0435nt Constabulary", "force", today())
    await staff_changes.create_unit(services.db, "tir-force", "Heddlu Tŷ Newydd", "force", today())
    made = await units.get_unit(services.db, "tir-force")
    assert made is not None and made.name == "Heddlu Tŷ Newydd"


async def test_a_rename_is_checked_the_same_way_but_may_keep_its_own_look(services: Services) -> None:
    with pytest.raises(unit_admin.UnitRefused, match="essex-police"):
        await unit_admin.rename_unit(services.db, "kent-police", "Essex  Police")
    with pytest.raises(unit_admin.UnitRefused, match="Latin letters"):
        await unit_admin.rename_unit(services.db, "kent-police", "K\u0435nt")
    old = await unit_admin.rename_unit(services.db, "kent-police", "KENT POLICE: Professional Standards")
    assert old == "Kent Police: Professional Standards and Anti-Corruption"
    again = await unit_admin.rename_unit(services.db, "kent-police", "Kent Police - Professional Standards")
    assert again == "KENT POLICE: Professional Standards"


async def test_the_store_refuses_a_lookalike_written_past_the_use_case(services: Services) -> None:
    """The unique name key holds even for code that skips custody's check."""
    with pytest.raises(UnitNameTaken):
        await units.insert_unit(services.db, UnitRow("kent-psd", "KENT  POLICE: professional standards "
                                                     "and anti corruption", "force"), today(), b"")
    assert await units.get_unit(services.db, "kent-psd") is None


async def test_the_desks_name_is_kept_for_it_before_the_desk_exists(services: Services) -> None:
    """Under direct routing there is no desk unit yet; a force called like it would pass for
    it on the lists, and make the switch to desk routing fail on the unique name."""
    assert await units.get_unit(services.db, "desk") is None
    with pytest.raises(unit_admin.UnitRefused, match="desk"):
        await staff_changes.create_unit(services.db, "desk-2", "Independent Reporting  Desk", "force", today())
