"""SQL for staff accounts (investigators, supervisors, call handlers)."""

from __future__ import annotations

from dropbox_server.store.database import Database
from dropbox_server.store.records import StaffRow

_COLUMNS = (
    "id, username, unit_id, role, public_key, wrapped_private_key, totp_secret_sealed, "
    "created_day, last_sign_in_day"
)


def _row(r: object) -> StaffRow:
    return StaffRow(*tuple(r))  # type: ignore[call-overload]


async def insert_staff(
    db: Database,
    *,
    username: str,
    unit_id: str,
    role: str,
    public_key: bytes,
    wrapped_private_key: bytes,
    totp_secret_sealed: bytes | None,
    day: str,
    unit_key_grants: dict[int, bytes],
) -> int:
    """Create a staff member and, in the same transaction, their sealed copies of unit keys."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "INSERT INTO staff (username, unit_id, role, public_key, wrapped_private_key, "
            "totp_secret_sealed, created_day) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (username, unit_id, role, public_key, wrapped_private_key, totp_secret_sealed, day),
        )
        staff_id = int(cur.lastrowid or 0)
        await tx.executemany(
            "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, ?, ?)",
            [(key_id, staff_id, blob) for key_id, blob in unit_key_grants.items()],
        )
    return staff_id


async def get_staff_by_username(db: Database, username: str) -> StaffRow | None:
    r = await db.fetch_one(f"SELECT {_COLUMNS} FROM staff WHERE username = ?", (username,))  # noqa: S608
    return _row(r) if r else None


async def get_staff(db: Database, staff_id: int) -> StaffRow | None:
    r = await db.fetch_one(f"SELECT {_COLUMNS} FROM staff WHERE id = ?", (staff_id,))  # noqa: S608
    return _row(r) if r else None


async def list_staff(db: Database, unit_id: str | None = None) -> list[StaffRow]:
    if unit_id is None:
        rows = await db.fetch_all(f"SELECT {_COLUMNS} FROM staff ORDER BY unit_id, username")  # noqa: S608
    else:
        rows = await db.fetch_all(
            f"SELECT {_COLUMNS} FROM staff WHERE unit_id = ? ORDER BY username",  # noqa: S608
            (unit_id,),
        )
    return [_row(r) for r in rows]
