"""SQL for the key lifecycle: unit members, new unit keys, re-sealing report keys, retiring keys."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database
from dropbox_server.store.records import StaffRow
from dropbox_server.store.staff import KEY_HOLDING_ROLES, list_staff


@dataclass(frozen=True)
class SealedUnder:
    """Something sealed to a unit key: a report key grant or a transfer record's reason key."""

    table: str  # "grant" or "transfer"
    row_key: tuple[int, str]  # (report_seq, purpose) for grants, (transfer id, "") for transfers
    unit_key_id: int
    sealed: bytes


_KEY_HOLDING_ROLES = KEY_HOLDING_ROLES


class MembersChanged(Exception):
    """Someone joined or left the unit while its new key was being sealed; nothing was stored."""


@dataclass(frozen=True, repr=False)
class NewUnitKey:
    """A unit key ready to store: its public half and its private half sealed to every holder.

    `grants` maps staff id to a sealed copy (None: the custodian). `audit` builds the
    rotation's audit entry once the key's id is known.
    """

    unit_id: str
    public_key: bytes
    day: str
    grants: dict[int | None, bytes]
    audit: Callable[[int], PendingAudit]
    # The key's certificate once its id is known (custody/certify.py), stored in the same transaction.
    certificate: Callable[[int], bytes] | None = None

    def __repr__(self) -> str:
        return f"NewUnitKey({self.unit_id})"


async def members_with_unit_keys(db: Database, unit_id: str) -> list[StaffRow]:
    """Staff of a unit who hold its keys (investigators and supervisors)."""
    return [s for s in await list_staff(db, unit_id) if s.role in _KEY_HOLDING_ROLES]


async def add_unit_key_tx(tx: aiosqlite.Connection, key: NewUnitKey) -> int:
    """Store a new unit key inside an open transaction; returns its id.

    Security: the unit's key holders are read again inside the transaction and must be
    exactly those the key was sealed to, so nobody who joined meanwhile is left without
    it and nobody who left meanwhile (a removal, a move) ends up holding it.
    """
    marks = ",".join("?" * len(_KEY_HOLDING_ROLES))
    async with tx.execute(
        f"SELECT id FROM staff WHERE unit_id = ? AND role IN ({marks})",  # noqa: S608
        (key.unit_id, *_KEY_HOLDING_ROLES),
    ) as cur:
        holders = {int(r[0]) for r in await cur.fetchall()}
    if holders != {staff_id for staff_id in key.grants if staff_id is not None}:
        raise MembersChanged(key.unit_id)
    cur = await tx.execute(
        "INSERT INTO unit_keys (unit_id, public_key, created_day) VALUES (?, ?, ?)",
        (key.unit_id, key.public_key, key.day),
    )
    key_id = int(cur.lastrowid or 0)
    if key.certificate is not None:
        certificate = key.certificate(key_id)
        await tx.execute("UPDATE unit_keys SET certificate = ? WHERE id = ?", (certificate, key_id))
    await tx.executemany(
        "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, ?, ?)",
        [(key_id, staff_id, blob) for staff_id, blob in key.grants.items()],
    )
    await append_tx(tx, key.audit(key_id))
    return key_id


async def add_unit_key(db: Database, key: NewUnitKey) -> int:
    """Store a new unit key (a rotation on its own) in one transaction with its audit entry."""
    async with db.transaction() as tx:
        return await add_unit_key_tx(tx, key)


async def sealed_under(db: Database, key_ids: Sequence[int]) -> list[SealedUnder]:
    """Every report key grant and transfer reason sealed to any of `key_ids`."""
    if not key_ids:
        return []
    marks = ",".join("?" * len(key_ids))
    grants = await db.fetch_all(
        "SELECT report_seq, purpose, unit_key_id, sealed_private_key FROM report_key_grants "  # noqa: S608
        f"WHERE unit_key_id IN ({marks}) ORDER BY report_seq",
        tuple(key_ids),
    )
    transfers = await db.fetch_all(
        "SELECT id, sender_unit_key_id, reason_key_for_sender FROM transfers "  # noqa: S608
        f"WHERE sender_unit_key_id IN ({marks}) ORDER BY id",
        tuple(key_ids),
    )
    return [SealedUnder("grant", (int(r[0]), str(r[1])), int(r[2]), bytes(r[3])) for r in grants] + [
        SealedUnder("transfer", (int(r[0]), ""), int(r[1]), bytes(r[2])) for r in transfers
    ]


async def reseal(db: Database, moved: Sequence[tuple[SealedUnder, int, bytes]]) -> None:
    """Point each sealed item at a new unit key with its new sealed blob, in one transaction."""
    async with db.transaction() as tx:
        for item, new_key_id, blob in moved:
            if item.table == "grant":
                seq, purpose = item.row_key
                await tx.execute(
                    "DELETE FROM report_key_grants WHERE report_seq = ? AND purpose = ? AND unit_key_id = ?",
                    (seq, purpose, item.unit_key_id),
                )
                await tx.execute(
                    "INSERT OR REPLACE INTO report_key_grants "
                    "(report_seq, purpose, unit_key_id, sealed_private_key) VALUES (?, ?, ?, ?)",
                    (seq, purpose, new_key_id, blob),
                )
            else:
                await tx.execute(
                    "UPDATE transfers SET sender_unit_key_id = ?, reason_key_for_sender = ? WHERE id = ?",
                    (new_key_id, blob, item.row_key[0]),
                )


async def retire_unit_keys(db: Database, key_ids: Sequence[int], day: str, audit: PendingAudit) -> bool:
    """Mark keys retired and delete every sealed copy of them, so the private keys are gone.

    Returns False, changing nothing, if anything is still sealed to one of them (a report
    that arrived while re-sealing): retiring then would make it unreadable for ever.
    Security: secure_delete overwrites the deleted copies in the database file.
    """
    marks = ",".join("?" * len(key_ids))
    async with db.transaction() as tx:
        async with tx.execute(
            f"SELECT (SELECT count(*) FROM report_key_grants WHERE unit_key_id IN ({marks})) "  # noqa: S608
            f"+ (SELECT count(*) FROM transfers WHERE sender_unit_key_id IN ({marks}))",
            (*key_ids, *key_ids),
        ) as cur:
            row = await cur.fetchone()
        if row is None or int(row[0]) != 0:
            return False
        for key_id in key_ids:
            await tx.execute("UPDATE unit_keys SET retired_day = ? WHERE id = ?", (day, key_id))
            await tx.execute("DELETE FROM unit_key_grants WHERE unit_key_id = ?", (key_id,))
        await append_tx(tx, audit)
    return True


async def delete_staff(
    db: Database, staff_id: int, audit: PendingAudit, rotation: NewUnitKey | None
) -> int | None:
    """Remove an account with its wrapped key and every sealed copy of unit keys it held.

    With `rotation`, the unit's new key is stored in the same transaction (returns its id).
    Security: one transaction, so there is no moment, and no crash, after which the person
    is gone but new reports are still sealed to a key they held.
    """
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM unit_key_grants WHERE staff_id = ?", (staff_id,))
        await tx.execute("DELETE FROM staff WHERE id = ?", (staff_id,))
        await append_tx(tx, audit)
        return await add_unit_key_tx(tx, rotation) if rotation else None


async def rewrap_staff_key(
    db: Database, staff_id: int, wrapped_private_key: bytes, audit: PendingAudit
) -> None:
    """The same key pair under a new password."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE staff SET wrapped_private_key = ? WHERE id = ?", (wrapped_private_key, staff_id)
        )
        await append_tx(tx, audit)


async def change_staff_unit(
    db: Database,
    staff_id: int,
    unit_id: str,
    unit_key_grants: dict[int, bytes],
    audit: PendingAudit,
    rotation: NewUnitKey | None,
) -> int | None:
    """Move an account to another unit: old unit's keys dropped, the new unit's sealed to it.

    With `rotation`, the old unit's new key is stored in the same transaction (returns its id).
    """
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM unit_key_grants WHERE staff_id = ?", (staff_id,))
        await tx.execute("UPDATE staff SET unit_id = ? WHERE id = ?", (unit_id, staff_id))
        await tx.executemany(
            "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, ?, ?)",
            [(key_id, staff_id, blob) for key_id, blob in unit_key_grants.items()],
        )
        await append_tx(tx, audit)
        return await add_unit_key_tx(tx, rotation) if rotation else None


def database_file_problem(path: Path) -> str | None:
    """What is wrong with a database file, opened read-only (None when it is sound).

    Runs SQLite's full integrity check, so a restore never starts from a damaged copy.
    """
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            conn.execute("SELECT count(*) FROM unit_keys").fetchone()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    found = [str(r[0]) for r in rows]
    return None if found == ["ok"] else "; ".join(found[:3])


async def custodian_held_keys(db: Database) -> dict[int, bytes]:
    """Every unit key the custodian holds a copy of (so every unretired key), id → public key."""
    rows = await db.fetch_all(
        "SELECT k.id, k.public_key FROM unit_keys k JOIN unit_key_grants g "
        "ON g.unit_key_id = k.id AND g.staff_id IS NULL ORDER BY k.id"
    )
    return {int(r[0]): bytes(r[1]) for r in rows}


async def custodian_sealed_keys(db: Database) -> dict[int, bytes]:
    """The custodian's sealed copy of every unit key it holds, by unit key id."""
    rows = await db.fetch_all(
        "SELECT unit_key_id, sealed_private_key FROM unit_key_grants WHERE staff_id IS NULL ORDER BY 1"
    )
    return {int(r[0]): bytes(r[1]) for r in rows}


async def replace_custodian(
    db: Database,
    public_key: bytes,
    wrapped_private_key: bytes | None,
    grants: dict[int, bytes],
    audit: PendingAudit,
) -> None:
    """A new custodian key pair, with its copies of unit keys replacing the old custodian's.

    Security: the old custodian's copies are read again inside the transaction and must be
    exactly the ones re-sealed, so a unit key made meanwhile is never left without a copy.
    """
    async with db.transaction() as tx:
        async with tx.execute("SELECT unit_key_id FROM unit_key_grants WHERE staff_id IS NULL") as cur:
            held = {int(r[0]) for r in await cur.fetchall()}
        if held != set(grants):
            raise MembersChanged("custodian")
        await tx.execute(
            "UPDATE custodian SET public_key = ?, wrapped_private_key = ? WHERE id = 1",
            (public_key, wrapped_private_key),
        )
        await tx.execute("DELETE FROM unit_key_grants WHERE staff_id IS NULL")
        await tx.executemany(
            "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, NULL, ?)",
            list(grants.items()),
        )
        await append_tx(tx, audit)
