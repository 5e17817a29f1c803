"""Look-alike names of seeded forces (as the reporter's and phone form's list shows them) are
refused by the name rule's fold (unit_names.name_key), and characters that hide are refused.

Creating one needs K custodian shares: the fold is the check that stops share holders
agreeing to a look-alike they did not spot.
"""

from __future__ import annotations

import pytest

from dropbox_server import unit_names
from dropbox_server.clock import today
from dropbox_server.custody import staff_changes, unit_admin
from dropbox_server.reports.unit_choices import force_choices
from dropbox_server.web.appkeys import Services

# (the seeded force's name as the form shows it, a name the rule lets in beside it)
MISSED = [
    ("Bedfordshire Police", "Bedforclshire Police"),  # "cl" for "d" (UTS #39 confusable d -> cl)
    ("Dyfed-Powys Police", "Dyfecl-Powys Police"),
    ("Merseyside Police", "Merseysicle Police"),
    ("Devon and Cornwall Police", "Devon & Cornwall Police"),  # "&" for "and"
    ("Avon and Somerset Police", "Avon & Somerset Police"),
    ("Cumbria Constabulary", "Cumbna Constabulary"),  # "ri" for "n"
]
# Look-alikes the fold does catch (defences).
CAUGHT = [
    ("kent-police", "Kent PoIice"),  # capital I for l
    ("kent-police", "Kent Po1ice"),
    ("kent-police", "Kent Police\u2019"),  # trailing right single quote
    ("police-scotland", "Police Scotland."),  # trailing full stop
    ("north-wales-police", "North VVales Police"),
    ("avon-and-somerset-police", "Avon and Sornerset Police"),
    ("city-of-london-police", "City of L0ndon Police"),
    ("greater-manchester-police", "Greater Manchester Polic\u0117"),  # an accent that renders alike
    ("dyfed-powys-police", "Dyfed Powys Police"),
    ("kent-police", "Kent Pol\u00ecce"),
]


@pytest.mark.parametrize(("shown", "name"), MISSED)
async def test_a_lookalike_the_fold_missed_is_refused(services: Services, shown: str, name: str) -> None:
    """Regression (insider finding U5, was 'attack succeeds'): cl for d, & for and, ri for n."""
    assert unit_names.checked_name(name) == name  # the characters are fine; the look is not
    with pytest.raises(unit_admin.UnitRefused, match="looks like"):
        await staff_changes.create_unit(services.db, "lookalike", name, "force", today())
    offered = [f.name for f in await force_choices(services.db)]
    assert shown in offered and name not in offered


@pytest.mark.parametrize(("unit_id", "name"), CAUGHT)
async def test_defence_lookalikes_the_fold_catches(services: Services, unit_id: str, name: str) -> None:
    with pytest.raises(unit_admin.UnitRefused, match=unit_id):
        await staff_changes.create_unit(services.db, "lookalike", name, "force", today())


@pytest.mark.parametrize("name", ["Kent\u200bPolice", "Kent Police\u202e", "Kent\u2060 Police", "Kent\u00adPolice",
                                  "Kent Police\u034f", "Kent\ufe0f Police", "K\u0435nt Police", "Kent Pol\u0131ce"])
def test_defence_invisible_bidi_and_other_script_characters_are_refused(name: str) -> None:
    with pytest.raises(unit_names.UnitNameRefused):
        unit_names.checked_name(name)
