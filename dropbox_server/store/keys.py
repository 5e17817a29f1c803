"""SQL for the key lifecycle: unit members, re-sealing report keys, retiring unit keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database
from dropbox_server.store.records import StaffRow
from dropbox_server.store.staff import list_staff


@dataclass(frozen=True)
class SealedUnder:
    """Something sealed to a unit key: a report key grant or a transfer record's reason key."""

    table: str  # "grant" or "transfer"
    row_key: tuple[int, str]  # (report_seq, purpose) for grants, (transfer id, "") for transfers
    unit_key_id: int
    sealed: bytes


async def members_with_unit_keys(db: Database, unit_id: str) -> list[StaffRow]:
    """Staff of a unit who hold its keys (investigators and supervisors)."""
    return [s for s in await list_staff(db, unit_id) if s.role in ("investigator", "supervisor")]


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


async def retire_unit_keys(db: Database, key_ids: Sequence[int], day: str, audit: PendingAudit) -> None:
    """Mark keys retired and delete every sealed copy of them, so the private keys are gone.

    Security: secure_delete overwrites the deleted copies in the database file.
    """
    async with db.transaction() as tx:
        for key_id in key_ids:
            await tx.execute("UPDATE unit_keys SET retired_day = ? WHERE id = ?", (day, key_id))
            await tx.execute("DELETE FROM unit_key_grants WHERE unit_key_id = ?", (key_id,))
        await append_tx(tx, audit)


async def delete_staff(db: Database, staff_id: int, audit: PendingAudit) -> None:
    """Remove an account with its wrapped key and every sealed copy of unit keys it held."""
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM unit_key_grants WHERE staff_id = ?", (staff_id,))
        await tx.execute("DELETE FROM staff WHERE id = ?", (staff_id,))
        await append_tx(tx, audit)


async def replace_staff_key(
    db: Database,
    staff_id: int,
    *,
    public_key: bytes,
    wrapped_private_key: bytes,
    totp_secret_sealed: bytes,
    unit_key_grants: dict[int, bytes],
    audit: PendingAudit,
) -> None:
    """Give an account a new key pair: new wrapped key, new TOTP secret, unit keys re-sealed to it."""
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM unit_key_grants WHERE staff_id = ?", (staff_id,))
        await tx.execute(
            "UPDATE staff SET public_key = ?, wrapped_private_key = ?, totp_secret_sealed = ?, "
            "totp_last_step = NULL WHERE id = ?",
            (public_key, wrapped_private_key, totp_secret_sealed, staff_id),
        )
        await tx.executemany(
            "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, ?, ?)",
            [(key_id, staff_id, blob) for key_id, blob in unit_key_grants.items()],
        )
        await append_tx(tx, audit)


async def rewrap_staff_key(
    db: Database, staff_id: int, wrapped_private_key: bytes, audit: PendingAudit
) -> None:
    """The same key pair under a new password."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE staff SET wrapped_private_key = ? WHERE id = ?", (wrapped_private_key, staff_id)
        )
        await append_tx(tx, audit)


async def move_staff(
    db: Database, staff_id: int, unit_id: str, unit_key_grants: dict[int, bytes], audit: PendingAudit
) -> None:
    """Move an account to another unit: old unit's keys dropped, the new unit's sealed to it."""
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM unit_key_grants WHERE staff_id = ?", (staff_id,))
        await tx.execute("UPDATE staff SET unit_id = ? WHERE id = ?", (unit_id, staff_id))
        await tx.executemany(
            "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, ?, ?)",
            [(key_id, staff_id, blob) for key_id, blob in unit_key_grants.items()],
        )
        await append_tx(tx, audit)
