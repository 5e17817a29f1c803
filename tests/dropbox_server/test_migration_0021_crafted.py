"""Rows crafted before migration 0021 (by a database writer, or by the old `create-unit`,
which compared no names): after the upgrade no look-alike is offered, whichever created_day
the writer chose, a seeded force's short name counts, and old names breaking the character
rule are offered on no form (insider finding U3)."""

from __future__ import annotations

import os
from pathlib import Path

from dropbox_server.custody import certify, unit_admin, unit_check
from dropbox_server.forces import FORCES_BY_ID
from dropbox_server.reports.unit_choices import force_choices
from dropbox_server.store import Database, UnitRow
from dropbox_server.store import unit_admin as unit_store
from tests.old_versions import at_version, migrated, old_unit

KENT = FORCES_BY_ID["kent-police"]


async def _flagged(db: Database) -> dict[str, bool]:
    """Each unit: whether `keys list-units` marks it as offered on no form (after the
    first start's one-time certification, as `serve` does it)."""
    await db.use_audit_seed(os.urandom(32))
    await certify.certify_units_upgrade(db)
    problems = unit_check.unit_problems(db.audit_seed, await unit_store.unit_facts(db))
    return {u.unit_id: u.name_clash for u in await unit_admin.units_with_keys(db, None, problems)}


async def test_an_old_unit_named_as_a_seeded_forces_short_name_is_flagged(tmp_path: Path) -> None:
    """Regression (insider finding U3a, was 'attack succeeds')."""
    path = tmp_path / "db.sqlite3"
    async with at_version(path, 20) as db:
        await old_unit(db, UnitRow(KENT.unit_id, KENT.unit_name, "force"), "2026-01-01")
        await old_unit(db, UnitRow("kent-psd", "Kent Police", "force"), "2026-02-01")
    async with migrated(path, None) as db:
        flagged = await _flagged(db)
        assert flagged["kent-police"] is True and flagged["kent-psd"] is True  # both: no one wins
        offered = [f.name for f in await force_choices(db)]
        assert "Kent Police" not in offered


async def test_an_old_lookalike_with_an_earlier_day_does_not_push_the_real_unit_off(tmp_path: Path) -> None:
    """Regression (insider finding U3b, was 'attack succeeds'): the forged earlier look-alike
    (Cyrillic е) no longer keeps the key; it breaks the character rule, so it is the one
    flagged and the genuine Kent stays offered."""
    path = tmp_path / "db.sqlite3"
    async with at_version(path, 20) as db:
        await old_unit(db, UnitRow(KENT.unit_id, KENT.unit_name, "force"), "2026-01-01")
        fake = KENT.unit_name.replace("e", "\u0435")  # every e Cyrillic; created_day set earlier
        await old_unit(db, UnitRow("kent-psd", fake, "force"), "2025-01-01")
    async with migrated(path, None) as db:
        assert await _flagged(db) == {"u1": False, "kent-psd": True, "kent-police": False}
        assert "kent-police" in {f.unit_id for f in await force_choices(db)}


async def test_an_old_ascii_lookalike_with_an_earlier_day_flags_both(tmp_path: Path) -> None:
    """U3b: when both names pass the character rule, every member of the group is flagged."""
    path = tmp_path / "db.sqlite3"
    async with at_version(path, 20) as db:
        await old_unit(db, UnitRow(KENT.unit_id, KENT.unit_name, "force"), "2026-01-01")
        await old_unit(db, UnitRow("kent-psd", KENT.unit_name.upper(), "force"), "2025-01-01")
    async with migrated(path, None) as db:
        assert await _flagged(db) == {"u1": False, "kent-psd": True, "kent-police": True}


async def test_old_names_with_forbidden_characters_are_flagged_and_not_offered(tmp_path: Path) -> None:
    """Regression (insider finding U3c, was 'attack succeeds'): a right-to-left override and a
    zero-width space in a name the rule would refuse."""
    path = tmp_path / "db.sqlite3"
    bidi = "Essex Police \u202ereppa\u202c \u200b"
    async with at_version(path, 20) as db:
        await old_unit(db, UnitRow("odd", bidi, "force"), "2026-01-01")
    async with migrated(path, None) as db:
        assert (await _flagged(db))["odd"] is True
        assert bidi not in [f.name for f in await force_choices(db)]


async def test_defence_crafted_old_rows_do_not_stop_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with at_version(path, 20, u1_name="") as db:
        await old_unit(db, UnitRow("u2", "", "force"), "2026-01-01")  # two empty names: one key ""
        await old_unit(db, UnitRow("u3", "\u200b\u202e", "force"), "2026-01-01")  # invisible only: key ""
    async with migrated(path, None) as db:
        assert await _flagged(db) == {"u1": True, "u2": True, "u3": True}
