"""A unit cannot be named like the forms' own choices on a list of forces ("I don’t know", which
sends a report to the national hub, and "Choose a force"), in English or Welsh."""

from __future__ import annotations

import pytest

from dropbox_server.clock import today
from dropbox_server.custody import staff_changes, unit_admin
from dropbox_server.reports.unit_choices import force_choices
from dropbox_server.web.appkeys import Services


@pytest.mark.parametrize(
    "name",
    ["I don\u2019t know", "I don't know", "Choose a force", "Choose a force\u2026", "I DONT KNOW",
     "Dydw i ddim yn gwybod", "Dewiswch heddlu"],
)
async def test_a_unit_cannot_be_named_as_the_forms_own_option(services: Services, name: str) -> None:
    """Regression (insider finding U4, was 'attack succeeds')."""
    with pytest.raises(unit_admin.UnitRefused, match="forms' own choices"):
        await staff_changes.create_unit(services.db, "lookalike", name, "force", today())
    assert "lookalike" not in {f.unit_id for f in await force_choices(services.db)}


async def test_a_unit_cannot_be_renamed_as_the_forms_own_option(services: Services) -> None:
    """Regression (insider finding U4): renaming is checked the same way."""
    with pytest.raises(unit_admin.UnitRefused, match="forms' own choices"):
        await unit_admin.rename_unit(services.db, "essex-police", "I don\u2019t know")
