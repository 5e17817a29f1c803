"""SQL for the custodian's stored half, enrolments waiting (for a code or an approval), and notices."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database
from dropbox_server.store.staff import KEY_HOLDING_ROLES, next_staff_id_tx

_HOLDER_MARKS = ",".join("?" * len(KEY_HOLDING_ROLES))


@dataclass(frozen=True, repr=False)
class PendingEnrolment:
    """An enrolment security staff asked for: a code to redeem, then (once the newcomer has
    redeemed it and made their own key) a key waiting for a member's approval."""

    id: int
    username: str
    unit_id: str
    role: str
    code_hash: bytes
    requested_by: str
    requested_day: str
    expires_day: str
    audit_seq: int
    request_mac: bytes
    public_key: bytes | None = None
    wrapped_private_key: bytes | None = None
    totp_secret_sealed: bytes | None = None
    redeemed_day: str | None = None
    key_mac: bytes | None = None
    # The account whose key a re-key request replaces (lost password or authenticator);
    # None for a newcomer.
    rekey_of: int | None = None
    # The authenticator time-step spent at redemption (copied to the account: spent once).
    totp_step: int | None = None

    @property
    def redeemed(self) -> bool:
        return self.public_key is not None

    def __repr__(self) -> str:
        return f"PendingEnrolment({self.username})"


@dataclass(frozen=True, repr=False)
class Redemption:
    """What the newcomer's redemption stores: their own key, wrapped by their password."""

    public_key: bytes
    wrapped_private_key: bytes
    totp_secret_sealed: bytes
    day: str
    key_mac: bytes
    totp_step: int | None = None


@dataclass(frozen=True)
class KeyHolderNotice:
    """What one member is told about a new key holder in their unit.

    `id` is "e<audit seq>" for a notice from the audit chain, "r<row id>" for one written
    before 0018 (a plain row in key_holder_notices)."""

    id: str
    unit_id: str
    key_holder: str
    added_by: str
    approved_by: str
    day: str


_PENDING = (
    "id, username, unit_id, role, code_hash, requested_by, requested_day, expires_day, audit_seq, "
    "request_mac, public_key, wrapped_private_key, totp_secret_sealed, redeemed_day, key_mac, "
    "rekey_staff_id, totp_step"
)


def _pending(r: tuple[object, ...]) -> PendingEnrolment:
    def blob(v: object) -> bytes | None:
        return bytes(v) if isinstance(v, bytes | memoryview) else None

    return PendingEnrolment(
        int(str(r[0])), str(r[1]), str(r[2]), str(r[3]), blob(r[4]) or b"", str(r[5]), str(r[6]),
        str(r[7]), int(str(r[8])), blob(r[9]) or b"", blob(r[10]), blob(r[11]), blob(r[12]),
        None if r[13] is None else str(r[13]), blob(r[14]),
        None if r[15] is None else int(str(r[15])), None if r[16] is None else int(str(r[16])),
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


def predates_certificates_in_file(path: Path) -> bool:
    """Whether a database file's schema is from before certificates (migration 0013; read-only)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            conn.execute("SELECT certificate FROM custodian WHERE id = 1").fetchone()
        except sqlite3.OperationalError:
            return True
    return False


def predates_unit_certificates_in_file(path: Path) -> bool:
    """Whether a database file's schema is from before unit certificates (migration 0021; read-only)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        try:
            conn.execute("SELECT certificate FROM units LIMIT 1").fetchone()
        except sqlite3.OperationalError:
            return True
    return False


async def set_custodian_public(db: Database, public_key: bytes) -> None:
    """Store the custodian's public key only (a new data directory)."""
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO custodian (id, public_key) VALUES (1, ?)", (public_key,))


async def forget_wrapped_custodian(db: Database, audit: PendingAudit) -> None:
    """Remove the passphrase-wrapped custodian key once it has been split into shares."""
    async with db.transaction() as tx:
        await tx.execute("UPDATE custodian SET wrapped_private_key = NULL WHERE id = 1")
        await append_tx(tx, audit)


async def add_pending(
    db: Database, p: PendingEnrolment, audit: PendingAudit, mac_for: Callable[[int, bytes], bytes]
) -> int:
    """Record an enrolment request and its audit entry; `mac_for(seq, entry hash)` makes the
    row's MAC once its audit entry exists, so the MAC binds the row to that entry.

    Refuses (IntegrityError) a username a member or another request already has; a re-key
    request instead needs the account it names, under that username and unit.
    """
    async with db.transaction() as tx:
        async with tx.execute(
            "SELECT id, unit_id FROM staff WHERE username = ?", (p.username,)
        ) as cur:
            member = await cur.fetchone()
        if p.rekey_of is None and member is not None:
            raise sqlite3.IntegrityError("username taken")
        if p.rekey_of is not None and (
            member is None or int(member[0]) != p.rekey_of or str(member[1]) != p.unit_id
        ):
            raise LookupError("no such account to re-key")
        seq = await append_tx(tx, audit)
        async with tx.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)) as cur:
            found = await cur.fetchone()
        mac = mac_for(seq, bytes(found[0]) if found else b"")
        cur2 = await tx.execute(
            "INSERT INTO pending_enrolments (username, unit_id, role, code_hash, requested_by, "
            "requested_day, expires_day, audit_seq, request_mac, rekey_staff_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            (p.username, p.unit_id, p.role, p.code_hash, p.requested_by, p.requested_day,
             p.expires_day, seq, mac, p.rekey_of),
        )
        return int(cur2.lastrowid or 0)


async def audit_hash(db: Database, seq: int) -> bytes | None:
    """The stored hash of audit entry `seq` (what a request's MAC is bound to)."""
    r = await db.fetch_one("SELECT hash FROM audit_log WHERE seq = ?", (seq,))
    return bytes(r[0]) if r else None


async def pending_for_unit(db: Database, unit_id: str) -> list[PendingEnrolment]:
    rows = await db.fetch_all(
        f"SELECT {_PENDING} FROM pending_enrolments WHERE unit_id = ? ORDER BY id",  # noqa: S608
        (unit_id,),
    )
    return [_pending(tuple(r)) for r in rows]


async def pending_by_username(db: Database, username: str) -> PendingEnrolment | None:
    r = await db.fetch_one(
        f"SELECT {_PENDING} FROM pending_enrolments WHERE username = ?", (username,)  # noqa: S608
    )
    return _pending(tuple(r)) if r else None


async def pending_by_code_hash(db: Database, code_hash: bytes) -> PendingEnrolment | None:
    r = await db.fetch_one(
        f"SELECT {_PENDING} FROM pending_enrolments WHERE code_hash = ?", (code_hash,)  # noqa: S608
    )
    return _pending(tuple(r)) if r else None


async def redeem_pending(db: Database, p: PendingEnrolment, r: Redemption, audit: PendingAudit) -> bool:
    """Store the newcomer's own key in their request; False if it was redeemed meanwhile.

    Security: a code is spent once: the UPDATE matches only a row not yet redeemed.
    """
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE pending_enrolments SET public_key = ?, wrapped_private_key = ?, "
            "totp_secret_sealed = ?, redeemed_day = ?, key_mac = ?, totp_step = ? "
            "WHERE id = ? AND code_hash = ? AND redeemed_day IS NULL",
            (r.public_key, r.wrapped_private_key, r.totp_secret_sealed, r.day, r.key_mac, r.totp_step,
             p.id, p.code_hash),
        )
        if cur.rowcount != 1:
            return False
        await append_tx(tx, audit)
        return True


async def redeem_into_staff(db: Database, p: PendingEnrolment, r: Redemption, audit: PendingAudit) -> int:
    """A role that holds no unit key becomes a member of staff at redemption (nothing to approve);
    a re-key of such an account replaces its key there and then.

    Security: the authenticator step spent at redemption is stored as the account's last one,
    so the same code cannot sign in. Raises LookupError if the request was redeemed or
    removed meanwhile (or the account to re-key changed unit, role or name).
    """
    async with db.transaction() as tx:
        cur = await tx.execute(
            "DELETE FROM pending_enrolments WHERE id = ? AND redeemed_day IS NULL", (p.id,)
        )
        if cur.rowcount != 1:
            raise LookupError("the enrolment is no longer waiting")
        if p.rekey_of is not None:
            await _replace_key_tx(
                tx, p, r.public_key, r.wrapped_private_key, r.totp_secret_sealed, r.totp_step
            )
            await append_tx(tx, audit)
            return p.rekey_of
        staff_id = await next_staff_id_tx(tx)
        await tx.execute(
            "INSERT INTO staff (id, username, unit_id, role, public_key, wrapped_private_key, "
            "totp_secret_sealed, created_day, totp_last_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (staff_id, p.username, p.unit_id, p.role, r.public_key, r.wrapped_private_key,
             r.totp_secret_sealed, r.day, r.totp_step),
        )
        await append_tx(tx, audit)
    return staff_id


async def _replace_key_tx(
    tx: aiosqlite.Connection,
    p: PendingEnrolment,
    public_key: bytes | None,
    wrapped_private_key: bytes | None,
    totp_secret_sealed: bytes | None,
    totp_step: int | None,
) -> None:
    """Give the account a re-key request names its new key; its old key's unit key copies go.

    Security: only the account the request was made for, still under that name, unit and role.
    """
    cur = await tx.execute(
        "UPDATE staff SET public_key = ?, wrapped_private_key = ?, totp_secret_sealed = ?, "
        "totp_last_step = ? WHERE id = ? AND username = ? AND unit_id = ? AND role = ?",
        (public_key, wrapped_private_key, totp_secret_sealed, totp_step, p.rekey_of, p.username,
         p.unit_id, p.role),
    )
    if cur.rowcount != 1:
        raise LookupError("the account to re-key changed meanwhile")
    await tx.execute("DELETE FROM unit_key_grants WHERE staff_id = ?", (p.rekey_of,))


@dataclass(frozen=True, repr=False)
class Approval:
    """Everything approving a pending account writes, in one transaction."""

    pending: PendingEnrolment
    grants: dict[int, bytes]
    approver_id: int | None  # None: the unit's first key holder, from the custodian
    approved_by: str
    day: str
    audit: PendingAudit
    # The `key_holder_added` entry telling these members (ids) about the new holder (id).
    notice: Callable[[list[int], int], PendingAudit]


async def approve_pending(db: Database, a: Approval) -> int:
    """Move a pending account into staff with its unit key copies; tell every member.

    Security: the approver must still be a key-holding member of the unit and the pending
    row must still be there, both checked inside the transaction; the notices go to every
    key-holding member at that moment, the approver included.
    """
    p = a.pending
    # A re-keyed member is not a second person for their own new key.
    itself = -1 if p.rekey_of is None else p.rekey_of
    async with db.transaction() as tx:
        if a.approver_id is None:
            async with tx.execute(
                f"SELECT 1 FROM staff WHERE unit_id = ? AND id != ? AND role IN ({_HOLDER_MARKS})",  # noqa: S608
                (p.unit_id, itself, *KEY_HOLDING_ROLES),
            ) as cur:
                if await cur.fetchone():
                    raise LookupError("the unit has a key holder now: a member approves instead")
        elif a.approver_id == itself:
            raise LookupError("a member cannot approve their own new key")
        else:
            async with tx.execute(
                f"SELECT 1 FROM staff WHERE id = ? AND unit_id = ? AND role IN ({_HOLDER_MARKS})",  # noqa: S608
                (a.approver_id, p.unit_id, *KEY_HOLDING_ROLES),
            ) as cur:
                if not await cur.fetchone():
                    raise LookupError("the approver is no longer a key holder of the unit")
        # Security: exactly the row (and key) that was checked is approved.
        cur = await tx.execute(
            "DELETE FROM pending_enrolments WHERE id = ? AND public_key = ? AND key_mac = ?",
            (p.id, p.public_key, p.key_mac),
        )
        if cur.rowcount != 1:
            raise LookupError("the enrolment is no longer pending")
        async with tx.execute(
            f"SELECT id FROM staff WHERE unit_id = ? AND id != ? AND role IN ({_HOLDER_MARKS})",  # noqa: S608
            (p.unit_id, itself, *KEY_HOLDING_ROLES),
        ) as cur:
            members = [int(r[0]) for r in await cur.fetchall()]
        if p.rekey_of is not None:
            staff_id = p.rekey_of
            await _replace_key_tx(
                tx, p, p.public_key, p.wrapped_private_key, p.totp_secret_sealed, p.totp_step
            )
        else:
            staff_id = await next_staff_id_tx(tx)  # never a removed account's id
            await tx.execute(
                "INSERT INTO staff (id, username, unit_id, role, public_key, wrapped_private_key, "
                "totp_secret_sealed, created_day, totp_last_step) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (staff_id, p.username, p.unit_id, p.role, p.public_key, p.wrapped_private_key,
                 p.totp_secret_sealed, a.day, p.totp_step),
            )
        await tx.executemany(
            "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, ?, ?)",
            [(key_id, staff_id, blob) for key_id, blob in a.grants.items()],
        )
        await append_tx(tx, a.audit)
        if members:
            await append_tx(tx, a.notice(members, staff_id))
    return staff_id


async def notify_members(
    db: Database, unit_id: str, holder_id: int, notice: Callable[[list[int], int], PendingAudit]
) -> None:
    """Tell every key-holding member of a unit but the new holder: append `notice(members, holder)`."""
    async with db.transaction() as tx:
        async with tx.execute(
            "SELECT id FROM staff WHERE unit_id = ? AND id != ? "  # noqa: S608
            f"AND role IN ({_HOLDER_MARKS})",
            (unit_id, holder_id, *KEY_HOLDING_ROLES),
        ) as cur:
            members = [int(r[0]) for r in await cur.fetchall()]
        if members:
            await append_tx(tx, notice(members, holder_id))


async def acknowledgements(db: Database, staff_id: int) -> dict[int, bytes]:
    """This member's acknowledgements: audit seq of the notice -> its MAC (checked by the caller)."""
    rows = await db.fetch_all("SELECT audit_seq, mac FROM key_holder_acks WHERE staff_id = ?", (staff_id,))
    # A row not of the stored types (a writer's) is no acknowledgement: the notice shows (N5).
    return {r[0]: bytes(r[1]) for r in rows if type(r[0]) is int and isinstance(r[1], bytes)}


async def add_acknowledgement(db: Database, staff_id: int, seq: int, mac: bytes, audit: PendingAudit) -> None:
    """Record that a member read the notice of entry `seq`, with its MAC, and the audit entry.

    Replaces any row already there: a row a writer left (with a bad MAC) gives way to the member's own.
    """
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT OR REPLACE INTO key_holder_acks (staff_id, audit_seq, mac) VALUES (?, ?, ?)",
            (staff_id, seq, mac),
        )
        await append_tx(tx, audit)


async def legacy_notices(db: Database, staff_id: int) -> list[KeyHolderNotice]:
    """Notices written before 0018 (plain rows) this member has not acknowledged."""
    rows = await db.fetch_all(
        "SELECT id, unit_id, key_holder, added_by, approved_by, day FROM key_holder_notices "
        "WHERE staff_id = ? AND acknowledged = 0 ORDER BY id",
        (staff_id,),
    )
    return [KeyHolderNotice(f"r{r[0]}", *r[1:]) for r in rows]


async def acknowledge_legacy_notice(db: Database, staff_id: int, notice_id: int, audit: PendingAudit) -> bool:
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
