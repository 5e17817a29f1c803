"""SQL for staff accounts (investigators, supervisors, call handlers)."""

from __future__ import annotations

import sqlite3

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database
from dropbox_server.store.records import StaffRow

# The roles that hold their unit's keys (force investigators and supervisors, the desk's
# analysts and supervisors): the one list every key-holder query in the store uses.
KEY_HOLDING_ROLES = ("investigator", "supervisor", "desk_analyst", "desk_supervisor")
_HOLDER_MARKS = ",".join("?" * len(KEY_HOLDING_ROLES))

_COLUMNS = (
    "id, username, unit_id, role, public_key, wrapped_private_key, totp_secret_sealed, "
    "created_day, last_sign_in_day"
)


class FirstHolderTaken(Exception):
    """The unit gained a key holder meanwhile: a new one now needs a member's approval."""


def _row(r: sqlite3.Row) -> StaffRow:
    return StaffRow(*r)


async def next_staff_id_tx(tx: aiosqlite.Connection) -> int:
    """The id for a new staff row, inside the transaction that inserts it.

    Security: the next id after every id ever used, so a removed account's id (and its
    audit history) never passes to someone else; a trigger refuses reuse too. (Tests of
    older migrations insert into a schema from before staff_ids_used: plain max + 1.)
    """
    async with tx.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'staff_ids_used'"
    ) as cur:
        remembered = await cur.fetchone()
    used = "(SELECT max(id) FROM staff_ids_used)" if remembered else "0"
    async with tx.execute(
        f"SELECT max(coalesce({used}, 0), coalesce((SELECT max(id) FROM staff), 0)) + 1"  # noqa: S608
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 1


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
    first_key_holder_of: str | None = None,
) -> int:
    """Create a staff member and, in the same transaction, their sealed copies of unit keys.

    With `first_key_holder_of`, refuses (FirstHolderTaken) if that unit already has a key holder.
    """
    async with db.transaction() as tx:
        if first_key_holder_of is not None:
            async with tx.execute(
                f"SELECT 1 FROM staff WHERE unit_id = ? AND role IN ({_HOLDER_MARKS})",  # noqa: S608
                (first_key_holder_of, *KEY_HOLDING_ROLES),
            ) as cur:
                if await cur.fetchone():
                    raise FirstHolderTaken(first_key_holder_of)
        staff_id = await next_staff_id_tx(tx)
        await tx.execute(
            "INSERT INTO staff (id, username, unit_id, role, public_key, wrapped_private_key, "
            "totp_secret_sealed, created_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (staff_id, username, unit_id, role, public_key, wrapped_private_key, totp_secret_sealed, day),
        )
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


async def last_totp_step(db: Database, staff_id: int) -> int | None:
    """The newest TOTP time-step accepted for an account, or None before the first sign-in."""
    r = await db.fetch_one("SELECT totp_last_step FROM staff WHERE id = ?", (staff_id,))
    return int(r[0]) if r and r[0] is not None else None


async def claim_totp_step(db: Database, staff_id: int, step: int, day: str) -> bool:
    """Record `step` as used if it is newer than the last one; False if it was already spent.

    Security: one conditional UPDATE, so two sign-ins racing with the same code cannot
    both succeed.
    """
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE staff SET totp_last_step = ?, last_sign_in_day = ? "
            "WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
            (step, day, staff_id, step),
        )
        return cur.rowcount == 1


async def replace_totp_secret(
    db: Database, staff_id: int, sealed_secret: bytes, step: int, audit: PendingAudit
) -> None:
    """Store a new sealed TOTP secret with the step that confirmed it, and log the key change."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE staff SET totp_secret_sealed = ?, totp_last_step = ? WHERE id = ?",
            (sealed_secret, step, staff_id),
        )
        await append_tx(tx, audit)


async def usernames(db: Database, staff_ids: set[int]) -> dict[int, str]:
    """Usernames for a set of staff ids (authors shown in a case thread)."""
    if not staff_ids:
        return {}
    marks = ",".join("?" * len(staff_ids))
    rows = await db.fetch_all(f"SELECT id, username FROM staff WHERE id IN ({marks})", tuple(staff_ids))  # noqa: S608
    return {int(r[0]): str(r[1]) for r in rows}
