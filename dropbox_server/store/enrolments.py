"""SQL for the custodian's stored half, accounts waiting for approval, and key holder notices."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database
from dropbox_server.store.staff import KEY_HOLDING_ROLES, next_staff_id_tx

_HOLDER_MARKS = ",".join("?" * len(KEY_HOLDING_ROLES))


@dataclass(frozen=True, repr=False)
class PendingEnrolment:
    """An account made by security staff that a current member of its unit must approve."""

    id: int
    username: str
    unit_id: str
    role: str
    public_key: bytes
    wrapped_private_key: bytes
    totp_secret_sealed: bytes
    requested_by: str
    requested_day: str

    def __repr__(self) -> str:
        return f"PendingEnrolment({self.username})"


@dataclass(frozen=True)
class KeyHolderNotice:
    """What one member is told about a new key holder in their unit."""

    id: int
    unit_id: str
    key_holder: str
    added_by: str
    approved_by: str
    day: str


_PENDING = (
    "id, username, unit_id, role, public_key, wrapped_private_key, totp_secret_sealed, "
    "requested_by, requested_day"
)


async def custodian_public_key(db: Database) -> bytes | None:
    r = await db.fetch_one("SELECT public_key FROM custodian WHERE id = 1")
    return bytes(r[0]) if r else None


async def legacy_wrapped_custodian(db: Database) -> bytes | None:
    """The passphrase-wrapped custodian key of a directory made before shares, if still there."""
    r = await db.fetch_one("SELECT wrapped_private_key FROM custodian WHERE id = 1")
    return bytes(r[0]) if r and r[0] is not None else None


def legacy_custodian_in_file(path: Path) -> bool:
    """Whether a database file still holds a wrapped custodian key (read-only; old schemas too)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            row = conn.execute("SELECT wrapped_private_key FROM custodian WHERE id = 1").fetchone()
        except sqlite3.OperationalError:
            return False  # not initialised yet
    return row is not None and row[0] is not None


def custodian_public_in_file(path: Path) -> bytes | None:
    """The custodian public key stored in a database file (read-only; nothing is written)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        row = conn.execute("SELECT public_key FROM custodian WHERE id = 1").fetchone()
    return bytes(row[0]) if row else None


def custodian_certified_in_file(path: Path) -> bool:
    """Whether a database file's custodian key carries a certificate (read-only; old schemas too)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            row = conn.execute("SELECT certificate FROM custodian WHERE id = 1").fetchone()
        except sqlite3.OperationalError:
            return False  # from before certificates (migration 0013)
    return row is not None and row[0] is not None


async def set_custodian_public(db: Database, public_key: bytes) -> None:
    """Store the custodian's public key only (a new data directory)."""
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO custodian (id, public_key) VALUES (1, ?)", (public_key,))


async def forget_wrapped_custodian(db: Database, audit: PendingAudit) -> None:
    """Remove the passphrase-wrapped custodian key once it has been split into shares."""
    async with db.transaction() as tx:
        await tx.execute("UPDATE custodian SET wrapped_private_key = NULL WHERE id = 1")
        await append_tx(tx, audit)


async def add_pending(db: Database, p: PendingEnrolment, audit: PendingAudit) -> int:
    """Record an account waiting for approval; refuses a username a member already has."""
    async with db.transaction() as tx:
        async with tx.execute("SELECT 1 FROM staff WHERE username = ?", (p.username,)) as cur:
            if await cur.fetchone():
                raise sqlite3.IntegrityError("username taken")
        cur2 = await tx.execute(
            f"INSERT INTO pending_enrolments ({_PENDING}) VALUES (NULL,?,?,?,?,?,?,?,?)",  # noqa: S608
            (p.username, p.unit_id, p.role, p.public_key, p.wrapped_private_key,
             p.totp_secret_sealed, p.requested_by, p.requested_day),
        )
        await append_tx(tx, audit)
        return int(cur2.lastrowid or 0)


async def pending_for_unit(db: Database, unit_id: str) -> list[PendingEnrolment]:
    rows = await db.fetch_all(
        f"SELECT {_PENDING} FROM pending_enrolments WHERE unit_id = ? ORDER BY id",  # noqa: S608
        (unit_id,),
    )
    return [PendingEnrolment(*r) for r in rows]


async def pending_by_username(db: Database, username: str) -> PendingEnrolment | None:
    r = await db.fetch_one(
        f"SELECT {_PENDING} FROM pending_enrolments WHERE username = ?", (username,)  # noqa: S608
    )
    return PendingEnrolment(*r) if r else None


@dataclass(frozen=True, repr=False)
class Approval:
    """Everything approving a pending account writes, in one transaction."""

    pending: PendingEnrolment
    grants: dict[int, bytes]
    approver_id: int
    approved_by: str
    day: str
    audit: PendingAudit


async def approve_pending(db: Database, a: Approval) -> int:
    """Move a pending account into staff with its unit key copies; tell every member.

    Security: the approver must still be a key-holding member of the unit and the pending
    row must still be there, both checked inside the transaction; the notices go to every
    key-holding member at that moment, the approver included.
    """
    p = a.pending
    async with db.transaction() as tx:
        async with tx.execute(
            f"SELECT 1 FROM staff WHERE id = ? AND unit_id = ? AND role IN ({_HOLDER_MARKS})",  # noqa: S608
            (a.approver_id, p.unit_id, *KEY_HOLDING_ROLES),
        ) as cur:
            if not await cur.fetchone():
                raise LookupError("the approver is no longer a key holder of the unit")
        cur = await tx.execute("DELETE FROM pending_enrolments WHERE id = ?", (p.id,))
        if cur.rowcount != 1:
            raise LookupError("the enrolment is no longer pending")
        async with tx.execute(
            f"SELECT id FROM staff WHERE unit_id = ? AND role IN ({_HOLDER_MARKS})",  # noqa: S608
            (p.unit_id, *KEY_HOLDING_ROLES),
        ) as cur:
            members = [int(r[0]) for r in await cur.fetchall()]
        staff_id = await next_staff_id_tx(tx)  # never a removed account's id
        await tx.execute(
            "INSERT INTO staff (id, username, unit_id, role, public_key, wrapped_private_key, "
            "totp_secret_sealed, created_day) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (staff_id, p.username, p.unit_id, p.role, p.public_key, p.wrapped_private_key,
             p.totp_secret_sealed, a.day),
        )
        await tx.executemany(
            "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, ?, ?)",
            [(key_id, staff_id, blob) for key_id, blob in a.grants.items()],
        )
        await _notify_tx(tx, members, p.unit_id, p.username, p.requested_by, a.approved_by, a.day)
        await append_tx(tx, a.audit)
    return staff_id


async def notify_members(
    db: Database, unit_id: str, key_holder: str, added_by: str, approved_by: str, day: str
) -> None:
    """Tell every key-holding member of a unit but the new holder about a new key holder."""
    async with db.transaction() as tx:
        async with tx.execute(
            "SELECT id FROM staff WHERE unit_id = ? AND username != ? "  # noqa: S608
            f"AND role IN ({_HOLDER_MARKS})",
            (unit_id, key_holder, *KEY_HOLDING_ROLES),
        ) as cur:
            members = [int(r[0]) for r in await cur.fetchall()]
        await _notify_tx(tx, members, unit_id, key_holder, added_by, approved_by, day)


async def _notify_tx(
    tx: aiosqlite.Connection,
    members: list[int],
    unit_id: str,
    key_holder: str,
    added_by: str,
    approved_by: str,
    day: str,
) -> None:
    await tx.executemany(
        "INSERT INTO key_holder_notices (staff_id, unit_id, key_holder, added_by, approved_by, day) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(m, unit_id, key_holder, added_by, approved_by, day) for m in members],
    )


async def open_notices(db: Database, staff_id: int) -> list[KeyHolderNotice]:
    rows = await db.fetch_all(
        "SELECT id, unit_id, key_holder, added_by, approved_by, day FROM key_holder_notices "
        "WHERE staff_id = ? AND acknowledged = 0 ORDER BY id",
        (staff_id,),
    )
    return [KeyHolderNotice(*r) for r in rows]


async def acknowledge_notice(db: Database, staff_id: int, notice_id: int, audit: PendingAudit) -> bool:
    """Mark one of this member's own notices as read; False if it is not theirs or already read."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE key_holder_notices SET acknowledged = 1 "
            "WHERE id = ? AND staff_id = ? AND acknowledged = 0",
            (notice_id, staff_id),
        )
        if cur.rowcount != 1:
            return False
        await append_tx(tx, audit)
        return True
