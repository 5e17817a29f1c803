"""SQL for who may sign a reply, where signing began, and the earlier keys of a passed-on report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.database import Database


@dataclass(frozen=True)
class SigningKeyRow:
    unit_key_id: int
    unit_id: str
    unit_public_key: bytes
    public_key: bytes
    certificate: bytes


@dataclass(frozen=True)
class EarlierReportKey:
    generation: int
    public_key: bytes
    sealed_to_next: bytes
    last_n: int  # the last position in the report this key may have sealed


async def signing_key(db: Database, unit_key_id: int) -> SigningKeyRow | None:
    r = await db.fetch_one(
        "SELECT s.unit_key_id, k.unit_id, k.public_key, s.public_key, s.certificate "
        "FROM unit_signing_keys s JOIN unit_keys k ON k.id = s.unit_key_id WHERE s.unit_key_id = ?",
        (unit_key_id,),
    )
    return SigningKeyRow(int(r[0]), r[1], bytes(r[2]), bytes(r[3]), bytes(r[4])) if r else None


async def put_signing_key(db: Database, unit_key_id: int, public_key: bytes, certificate: bytes) -> None:
    """Record (or correct) a unit key's signing public key and its certificate."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO unit_signing_keys (unit_key_id, public_key, certificate) VALUES (?, ?, ?) "
            "ON CONFLICT (unit_key_id) DO UPDATE SET public_key = excluded.public_key, "
            "certificate = excluded.certificate",
            (unit_key_id, public_key, certificate),
        )


async def first_authenticated_position(db: Database, seq: int) -> int:
    """The first position in a report stored after signing began (items before it were never signed).

    Security: a report stored after the migration has no row, so 1: every item must be signed.
    """
    r = await db.fetch_one("SELECT first_n FROM authenticity_began WHERE report_seq = ?", (seq,))
    return int(r[0]) if r else 1


async def earlier_report_keys(db: Database, seq: int) -> list[EarlierReportKey]:
    """A report's earlier key pairs, newest first."""
    rows = await db.fetch_all(
        "SELECT generation, public_key, sealed_to_next, last_n FROM report_key_history "
        "WHERE report_seq = ? ORDER BY generation DESC",
        (seq,),
    )
    return [EarlierReportKey(int(r[0]), bytes(r[1]), bytes(r[2]), int(r[3])) for r in rows]


async def sealed_chains(db: Database, seqs: list[int]) -> dict[int, list[bytes]]:
    """For each report passed on, its earlier private keys sealed to the next, newest first."""
    if not seqs:
        return {}
    marks = ",".join("?" * len(seqs))
    rows = await db.fetch_all(
        f"SELECT report_seq, sealed_to_next FROM report_key_history WHERE report_seq IN ({marks}) "  # noqa: S608
        "ORDER BY report_seq, generation DESC",
        seqs,
    )
    out: dict[int, list[bytes]] = {}
    for r in rows:
        out.setdefault(int(r[0]), []).append(bytes(r[1]))
    return out


async def retire_report_key_tx(
    tx: aiosqlite.Connection,
    seq: int,
    old_public: bytes,
    old_sealed_to_new: bytes,
    new_public: bytes,
    holder_unit_id: str,
    certificates: Callable[[int, int], tuple[bytes, bytes]] | None = None,
) -> bool:
    """Inside the transfer's transaction: file the current key pair as history (with the unit
    that held it) and switch; `certificates(generation, last_n)` certifies both rows.

    False when the report's key changed meanwhile (someone else passed it on first).
    """
    async with tx.execute(
        "SELECT coalesce(max(generation), -1) + 1, (SELECT coalesce(max(n), 0) FROM items "
        "WHERE report_seq = ?) FROM report_key_history WHERE report_seq = ?",
        (seq, seq),
    ) as cur:
        row = await cur.fetchone()
    generation, last_item = (int(row[0]), int(row[1])) if row else (0, 0)
    cur2 = await tx.execute(
        "UPDATE reports SET report_public_key = ? WHERE seq = ? AND report_public_key = ?",
        (new_public, seq, old_public),
    )
    if cur2.rowcount != 1:
        return False
    history_cert, report_cert = certificates(generation, last_item) if certificates else (None, None)
    await tx.execute(
        "INSERT INTO report_key_history (report_seq, generation, public_key, sealed_to_next, last_n, "
        "unit_id, certificate) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, generation, old_public, old_sealed_to_new, last_item, holder_unit_id, history_cert),
    )
    await tx.execute("UPDATE reports SET certificate = ? WHERE seq = ?", (report_cert, seq))
    return True
