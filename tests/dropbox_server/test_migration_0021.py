"""Migration 0021: every unit gets a name key, unique; names that already look alike do not
stop the upgrade (every unit of a group that looks alike is left without one, named by
`keys list-units` and offered on no form, until a rename gives it a name of its own); units
are certified once, as found, at the first start after it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dropbox_server import unit_names
from dropbox_server.custody import certify, unit_admin
from dropbox_server.store import UnitRow, units
from dropbox_server.store import unit_admin as unit_store
from dropbox_server.store.errors import UnitNameTaken
from tests.old_versions import at_version, migrated, old_unit


async def test_0021_keys_every_unit_and_leaves_every_lookalike_unkeyed(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    async with at_version(path, 20, u1_name="Kent Police") as db:
        await old_unit(db, UnitRow("u0", "KENT  POLICE", "force"), "2026-02-01")  # stored after u1
        await old_unit(db, UnitRow("u2", "K\u0435nt Police", "force"), "2025-12-01")  # earlier day
        await old_unit(db, UnitRow("u3", "Essex Police", "force"), "2026-01-01")
    async with migrated(path, None) as db:
        await db.use_audit_seed(os.urandom(32))  # audit.key, as `serve` opens it
        assert await certify.certify_units_upgrade(db) == 4  # the trust point: as found
        assert await certify.certify_units_upgrade(db) is None  # once
        keyed = {uid: has_key for uid, _name, has_key in await unit_store.unit_names(db)}
        assert keyed == {"u1": False, "u0": False, "u2": False, "u3": True}  # none keeps it (U3)
        listed = {u.unit_id: u.name_clash for u in await unit_admin.units_with_keys(db)}
        assert listed == {"u1": True, "u0": True, "u2": True, "u3": False}
        # New names are compared with every unit's name, keyed or not.
        with pytest.raises(unit_admin.UnitRefused, match="u"):
            await unit_admin.rename_unit(db, "u3", "kent police")
        with pytest.raises(UnitNameTaken):
            await units.insert_unit(db, UnitRow("u4", "ESSEX-POLICE", "force"), "2026-03-01", b"")
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
