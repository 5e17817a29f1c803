"""SQL for the append-only, hash-chained audit log of staff actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.database import Database

GENESIS = bytes(32)
_COLUMNS = "seq, at, action, staff_id, username, unit_id, report_id, detail, prev_hash, hash"


@dataclass(frozen=True)
class AuditEntry:
    """One staff action as it is logged: who, what, which report, never any content."""

    at: str
    action: str
    staff_id: int | None = None
    username: str | None = None
    unit_id: str | None = None
    report_id: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class AuditRow:
    seq: int
    entry: AuditEntry
    prev_hash: bytes
    hash: bytes


# (seq, previous hash, entry, chain key seed or None for a chain not yet keyed) -> hash
Link = Callable[[int, bytes, AuditEntry, bytes | None], bytes]


@dataclass(frozen=True)
class PendingAudit:
    """An entry to append in the same transaction as the action it records, with its hasher."""

    entry: AuditEntry
    link: Link


async def append_tx(tx: aiosqlite.Connection, pending: PendingAudit) -> int:
    """Append inside an open write transaction: the action and its entry commit together.

    Security: the writer lock and BEGIN IMMEDIATE serialise appends, so two entries can
    never claim the same predecessor.
    """
    async with tx.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1") as cur:
        last = await cur.fetchone()
    # A newest hash that is not a BLOB (a writer's row) is linked from as b"": the chain shows
    # broken there, and nothing that writes an entry (every sign-in) raises (insider finding N5).
    seq, prev = (int(last[0]) + 1, blob_or_empty(last[1])) if last else (1, GENESIS)
    async with tx.execute("SELECT seed FROM temp.audit_seed") as cur:
        found = await cur.fetchone()
    seed = bytes(found[0]) if found else None
    e = pending.entry
    await tx.execute(
        f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
        (
            seq,
            e.at,
            e.action,
            e.staff_id,
            e.username,
            e.unit_id,
            e.report_id,
            e.detail,
            prev,
            pending.link(seq, prev, e, seed),
        ),
    )
    return seq


async def append(db: Database, pending: PendingAudit) -> int:
    """Append one entry in its own transaction."""
    async with db.transaction() as tx:
        return await append_tx(tx, pending)


async def entries(db: Database, after_seq: int = 0, limit: int = 1000) -> list[AuditRow]:
    """Entries in chain order, a batch at a time (the log can be long)."""
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608
        (after_seq, limit),
    )
    return [
        AuditRow(
            seq=int(r[0]),
            entry=AuditEntry(r[1], r[2], r[3], r[4], r[5], r[6], r[7]),
            prev_hash=blob_or_empty(r[8]),
            hash=blob_or_empty(r[9]),
        )
        for r in rows
    ]


async def with_action(db: Database, *actions: str) -> list[AuditRow]:
    """Every entry recording one of `actions`, in chain order (indexed by action since 0018)."""
    marks = ",".join("?" * len(actions))
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM audit_log WHERE action IN ({marks}) ORDER BY seq",  # noqa: S608
        actions,
    )
    return [
        AuditRow(
            int(r[0]), AuditEntry(r[1], r[2], r[3], r[4], r[5], r[6], r[7]),
            blob_or_empty(r[8]), blob_or_empty(r[9]),
        )
        for r in rows
    ]


def blob_or_empty(value: object) -> bytes:
    """A stored hash as bytes; anything but a BLOB (a writer's row) reads as b"", linking to nothing.

    Security (insider finding N5): one odd row must fail its check, not raise for every reader.
    """
    return bytes(value) if isinstance(value, bytes | memoryview) else b""


_NO_UPDATE = """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"""
_NO_DELETE = """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"""


async def rekey(
    db: Database,
    expected_head: tuple[int, bytes],
    new_hashes: list[tuple[int, bytes, bytes]],
    then: PendingAudit,
) -> int | None:
    """Replace every link (seq, prev_hash, hash) of the chain and append `then`, in one transaction.

    Refused (None) when the newest entry is no longer `expected_head`: an entry was appended
    after the chain was read, so the new links would not cover it.
    Security: the append-only triggers are lifted only inside this transaction and put back
    before it commits; nothing else can write meanwhile (BEGIN IMMEDIATE).
    """
    async with db.transaction() as tx:
        async with tx.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1") as cur:
            last = await cur.fetchone()
        head = (int(last[0]), bytes(last[1])) if last else (0, GENESIS)
        if head != expected_head:
            return None
        await tx.execute("DROP TRIGGER audit_log_no_update")
        await tx.execute("DROP TRIGGER audit_log_no_delete")
        await tx.executemany(
            "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?",
            [(prev, new, seq) for seq, prev, new in new_hashes],
        )
        await tx.execute(_NO_UPDATE)
        await tx.execute(_NO_DELETE)
        return await append_tx(tx, then)


async def head(db: Database) -> tuple[int, bytes]:
    """The newest entry's (seq, hash), or (0, GENESIS) for an empty log."""
    row = await db.fetch_one("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)


async def count_since_last(db: Database, action: str, since_action: str) -> int:
    """How many `action` entries follow the last `since_action` one (all when there is none)."""
    row = await db.fetch_one(
        "SELECT count(*) FROM audit_log WHERE action = ? AND seq > "
        "(SELECT coalesce(max(seq), 0) FROM audit_log WHERE action = ?)",
        (action, since_action),
    )
    return int(row[0]) if row else 0


async def has_action(db: Database, actions: tuple[str, ...]) -> bool:
    """Whether any entry records one of `actions`."""
    marks = ",".join("?" * len(actions))
    row = await db.fetch_one(f"SELECT 1 FROM audit_log WHERE action IN ({marks}) LIMIT 1", actions)  # noqa: S608
    return row is not None
