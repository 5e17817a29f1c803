"""Migration 0021: every unit gets a name key, unique; names that already look alike do not
stop the upgrade (the unit stored first keeps the key, a later look-alike is left without one,
named by `keys list-units`, until a rename gives it a name of its own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dropbox_server import unit_names
from dropbox_server.custody import unit_admin
from dropbox_server.store import UnitRow, units
from dropbox_server.store import unit_admin as unit_store
from dropbox_server.store.errors import UnitNameTaken
from tests.old_versions import at_version, migrated, old_unit


async def test_0021_keys_every_unit_and_leaves_later_lookalikes_unkeyed(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with at_version(path, 20, u1_name="Kent Police") as db:
        await old_unit(db, UnitRow("u0", "KENT  POLICE", "force"), "2026-02-01")  # stored after u1
        await old_unit(db, UnitRow("u2", "K\u0435nt Police", "force"), "2025-12-01")  # earlier day
        await old_unit(db, UnitRow("u3", "Essex Police", "force"), "2026-01-01")
    async with migrated(path, None) as db:
        keyed = {uid: has_key for uid, _name, has_key in await unit_store.unit_names(db)}
        assert keyed == {"u1": False, "u0": False, "u2": True, "u3": True}  # the earliest look-alike keeps it
        listed = {u.unit_id: u.name_clash for u in await unit_admin.units_with_keys(db)}
        assert listed == {"u1": True, "u0": True, "u2": False, "u3": False}
        # New names are compared with every unit's name, keyed or not.
        with pytest.raises(unit_admin.UnitRefused, match="u"):
            await unit_admin.rename_unit(db, "u3", "kent police")
        with pytest.raises(UnitNameTaken):
            await units.insert_unit(db, UnitRow("u4", "Kent-Police", "force"), "2026-03-01")
        # A rename to a name of its own gives the unit its key.
        await unit_admin.rename_unit(db, "u0", "Kent Police North")
        keyed = {uid: has_key for uid, _name, has_key in await unit_store.unit_names(db)}
        assert keyed["u0"] is True
        row = await db.fetch_one("SELECT name_key FROM units WHERE id = 'u0'")
        assert row is not None and row[0] == unit_names.name_key("Kent Police North")


async def test_0021_on_a_database_without_lookalikes_keys_every_unit(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with at_version(path, 20) as db:
        await old_unit(db, UnitRow("u2", "Unit two", "force"), "2026-01-01")
    async with migrated(path, 21) as db:
        rows = await db.fetch_all("SELECT id, name_key FROM units ORDER BY id")
        assert [(r[0], r[1]) for r in rows] == [("u1", "unltone"), ("u2", "unlttwo")]
