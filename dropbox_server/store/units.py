"""SQL for units, their key rings, the custodian key, and unit key grants."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

from dropbox_server.store.database import Database
from dropbox_server.store.errors import UnitNameTaken, is_unit_name_taken
from dropbox_server.store.records import GrantRow, UnitKeyRow, UnitRow
from dropbox_server.unit_names import name_key


async def insert_unit(db: Database, unit: UnitRow, day: str, certificate: bytes) -> None:
    """A new unit with its certificate; UnitNameTaken if another unit's name looks the same."""
    try:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO units (id, name, kind, created_day, name_key, certificate) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (unit.id, unit.name, unit.kind, day, name_key(unit.name), certificate),
            )
    except sqlite3.IntegrityError as exc:
        if is_unit_name_taken(exc):
            raise UnitNameTaken(unit.name) from None
        raise


async def list_units(db: Database) -> list[UnitRow]:
    rows = await db.fetch_all("SELECT id, name, kind FROM units ORDER BY kind DESC, name")
    return [UnitRow(r["id"], r["name"], r["kind"]) for r in rows]


async def get_unit(db: Database, unit_id: str) -> UnitRow | None:
    r = await db.fetch_one("SELECT id, name, kind FROM units WHERE id = ?", (unit_id,))
    return UnitRow(r["id"], r["name"], r["kind"]) if r else None


async def insert_unit_key(
    db: Database,
    unit_id: str,
    public_key: bytes,
    day: str,
    grants: dict[int | None, bytes],
    certificate: Callable[[int], bytes] | None = None,
) -> int:
    """Add a key to a unit's ring with its sealed copies (staff id → blob; None = custodian),
    and its certificate (made from the new id) in the same transaction."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "INSERT INTO unit_keys (unit_id, public_key, created_day) VALUES (?, ?, ?)",
            (unit_id, public_key, day),
        )
        key_id = int(cur.lastrowid or 0)
        if certificate is not None:
            made = certificate(key_id)
            await tx.execute("UPDATE unit_keys SET certificate = ? WHERE id = ?", (made, key_id))
        await tx.executemany(
            "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, ?, ?)",
            [(key_id, staff_id, blob) for staff_id, blob in grants.items()],
        )
    return key_id


def _key_row(r: sqlite3.Row) -> UnitKeyRow:
    return UnitKeyRow(r["id"], r["unit_id"], r["public_key"], r["created_day"], r["retired_day"])


async def current_unit_key(db: Database, unit_id: str) -> UnitKeyRow | None:
    """The newest unretired key of a unit: new reports are sealed to it."""
    r = await db.fetch_one(
        "SELECT * FROM unit_keys WHERE unit_id = ? AND retired_day IS NULL ORDER BY id DESC LIMIT 1",
        (unit_id,),
    )
    return _key_row(r) if r else None


async def unit_keys(db: Database, unit_id: str) -> list[UnitKeyRow]:
    rows = await db.fetch_all("SELECT * FROM unit_keys WHERE unit_id = ? ORDER BY id", (unit_id,))
    return [_key_row(r) for r in rows]


_GRANTS = (
    "SELECT g.unit_key_id, k.unit_id, g.staff_id, g.sealed_private_key "
    "FROM unit_key_grants g JOIN unit_keys k ON k.id = g.unit_key_id "
)


async def grants_for_staff(db: Database, staff_id: int) -> list[GrantRow]:
    rows = await db.fetch_all(_GRANTS + "WHERE g.staff_id = ? ORDER BY g.unit_key_id", (staff_id,))
    return [GrantRow(r[0], r[1], r[2], r[3]) for r in rows]


async def custodian_grants(db: Database, unit_id: str) -> list[GrantRow]:
    rows = await db.fetch_all(
        _GRANTS + "WHERE g.staff_id IS NULL AND k.unit_id = ? ORDER BY g.unit_key_id", (unit_id,)
    )
    return [GrantRow(r[0], r[1], r[2], r[3]) for r in rows]


def unit_public_keys_in_file(path: Path) -> dict[int, bytes]:
    """Every unit key's public half in a database file, opened read-only (nothing is written)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT id, public_key FROM unit_keys").fetchall()
    return {int(r[0]): bytes(r[1]) for r in rows}
