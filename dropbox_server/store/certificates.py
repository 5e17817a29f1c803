"""SQL for the certificates of public keys the server seals to (custody/certify.py makes and checks them)."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.database import Database


@dataclass(frozen=True)
class HistoryRow:
    """An earlier key pair of a passed-on report: who held it and up to which position."""

    generation: int
    public_key: bytes
    last_n: int
    unit_id: str | None
    certificate: bytes | None


@dataclass(frozen=True)
class ReportBinding:
    """What a report's certificate covers, as stored, with the certificate."""

    seq: int
    report_id: str
    unit_id: str
    report_public_key: bytes
    reporter_public_key: bytes | None
    first_n: int  # where signing began (1: every item is signed)
    below_line: bytes | None
    history: tuple[HistoryRow, ...]  # oldest first
    certificate: bytes | None


@dataclass(frozen=True)
class BelowLineItem:
    """An item stored before signing began, as far as the report's certificate pins it."""

    id: int
    n: int
    kind: str
    created_day: str
    ciphertext: bytes
    key_for_unit: bytes
    key_for_reporter: bytes | None


async def custodian(db: Database) -> tuple[bytes, bytes | None] | None:
    r = await db.fetch_one("SELECT public_key, certificate FROM custodian WHERE id = 1")
    return (bytes(r[0]), bytes(r[1]) if r[1] is not None else None) if r else None


async def set_custodian_certificate(db: Database, public_key: bytes, certificate: bytes) -> bool:
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE custodian SET certificate = ? WHERE id = 1 AND public_key = ?", (certificate, public_key)
        )
        return cur.rowcount == 1


async def unit_key_certificate(db: Database, key_id: int) -> bytes | None:
    r = await db.fetch_one("SELECT certificate FROM unit_keys WHERE id = ?", (key_id,))
    return bytes(r[0]) if r and r[0] is not None else None


async def newest_unit_key_id(db: Database, unit_id: str) -> int | None:
    """The newest key of a unit, retired or not (a current key older than it is suspect)."""
    r = await db.fetch_one("SELECT max(id) FROM unit_keys WHERE unit_id = ?", (unit_id,))
    return int(r[0]) if r and r[0] is not None else None


async def set_unit_key_certificate(
    db: Database, key_id: int, unit_id: str, public_key: bytes, certificate: bytes
) -> bool:
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE unit_keys SET certificate = ? WHERE id = ? AND unit_id = ? AND public_key = ?",
            (certificate, key_id, unit_id, public_key),
        )
        return cur.rowcount == 1


async def staff_certificate(db: Database, staff_id: int) -> bytes | None:
    r = await db.fetch_one("SELECT certificate FROM staff WHERE id = ?", (staff_id,))
    return bytes(r[0]) if r and r[0] is not None else None


async def set_staff_certificate(
    db: Database, staff_id: int, unit_id: str, role: str, public_key: bytes, certificate: bytes
) -> bool:
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE staff SET certificate = ? WHERE id = ? AND unit_id = ? AND role = ? AND public_key = ?",
            (certificate, staff_id, unit_id, role, public_key),
        )
        return cur.rowcount == 1


async def report_binding(db: Database, seq: int) -> ReportBinding | None:
    r = await db.fetch_one(
        "SELECT r.seq, r.id, r.unit_id, r.report_public_key, r.reporter_public_key, "
        "coalesce(b.first_n, 1), r.below_line, r.certificate "
        "FROM reports r LEFT JOIN authenticity_began b ON b.report_seq = r.seq WHERE r.seq = ?",
        (seq,),
    )
    if r is None:
        return None
    rows = await db.fetch_all(
        "SELECT generation, public_key, last_n, unit_id, certificate FROM report_key_history "
        "WHERE report_seq = ? ORDER BY generation",
        (seq,),
    )
    history = tuple(
        HistoryRow(int(h[0]), bytes(h[1]), int(h[2]), h[3], bytes(h[4]) if h[4] is not None else None)
        for h in rows
    )
    return ReportBinding(
        int(r[0]), r[1], r[2], bytes(r[3]), bytes(r[4]) if r[4] is not None else None, int(r[5]),
        bytes(r[6]) if r[6] is not None else None, history, bytes(r[7]) if r[7] is not None else None,
    )


async def below_line_items(db: Database, seq: int, first_n: int) -> list[BelowLineItem]:
    """The items of a report before where signing began, in order.

    Not the contact item: passing a report on without its contact details deletes it.
    """
    rows = await db.fetch_all(
        "SELECT id, n, kind, created_day, ciphertext, key_for_unit, key_for_reporter FROM items "
        "WHERE report_seq = ? AND n < ? AND kind != 'contact' ORDER BY n, id",
        (seq, first_n),
    )
    return [
        BelowLineItem(int(r[0]), int(r[1]), r[2], r[3], bytes(r[4]), bytes(r[5]),
                      bytes(r[6]) if r[6] is not None else None)
        for r in rows
    ]


async def set_report_certificate(
    db: Database, binding: ReportBinding, certificate: bytes, below_line: bytes | None = None
) -> bool:
    """Store a report's certificate (and, once, its below-the-line digest) if the row is unchanged."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE reports SET certificate = ?, below_line = coalesce(?, below_line) "
            "WHERE seq = ? AND unit_id = ? AND report_public_key = ?",
            (certificate, below_line, binding.seq, binding.unit_id, binding.report_public_key),
        )
        return cur.rowcount == 1


async def set_history_certificate_tx(
    tx: aiosqlite.Connection, seq: int, generation: int, certificate: bytes
) -> None:
    await tx.execute(
        "UPDATE report_key_history SET certificate = ? WHERE report_seq = ? AND generation = ?",
        (certificate, seq, generation),
    )


async def draft_certificate(db: Database, draft_id: int) -> bytes | None:
    r = await db.fetch_one("SELECT certificate FROM package_drafts WHERE id = ?", (draft_id,))
    return bytes(r[0]) if r and r[0] is not None else None


async def all_drafts(db: Database) -> list[tuple[int, bytes]]:
    rows = await db.fetch_all("SELECT id, public_key FROM package_drafts")
    return [(int(r[0]), bytes(r[1])) for r in rows]


async def certification_owed(db: Database) -> bool:
    """Whether this database was upgraded and its existing rows still need certificates."""
    return await db.fetch_one("SELECT 1 FROM certification_owed") is not None


async def all_unit_keys(db: Database) -> list[tuple[int, str, bytes, bytes | None]]:
    rows = await db.fetch_all("SELECT id, unit_id, public_key, certificate FROM unit_keys ORDER BY id")
    return [(int(r[0]), r[1], bytes(r[2]), bytes(r[3]) if r[3] is not None else None) for r in rows]


async def all_staff(db: Database) -> list[tuple[int, str, str, bytes, bytes | None]]:
    rows = await db.fetch_all("SELECT id, unit_id, role, public_key, certificate FROM staff ORDER BY id")
    return [(int(r[0]), r[1], r[2], bytes(r[3]), bytes(r[4]) if r[4] is not None else None) for r in rows]


async def report_seqs(db: Database) -> list[int]:
    return [int(r[0]) for r in await db.fetch_all("SELECT seq FROM reports")]


@dataclass(frozen=True)
class Backfill:
    """Every certificate of an upgraded database, written in one transaction."""

    custodian: bytes | None
    unit_keys: dict[int, bytes]
    staff: dict[int, bytes]
    reports: dict[int, tuple[bytes, bytes]]  # seq -> (certificate, below-the-line digest)
    history: dict[tuple[int, int], bytes]
    drafts: dict[int, bytes]
    subject_keys: dict[int, bytes]  # subject key id -> certificate of its grants as they stand


async def write_backfill(db: Database, b: Backfill) -> None:
    """Write the certificates of an upgraded database and clear the owed marker."""
    async with db.transaction() as tx:
        if b.custodian is not None:
            await tx.execute("UPDATE custodian SET certificate = ? WHERE id = 1", (b.custodian,))
        await tx.executemany(
            "UPDATE unit_keys SET certificate = ? WHERE id = ?", [(c, i) for i, c in b.unit_keys.items()]
        )
        await tx.executemany(
            "UPDATE staff SET certificate = ? WHERE id = ?", [(c, i) for i, c in b.staff.items()]
        )
        await tx.executemany(
            "UPDATE reports SET certificate = ?, below_line = ? WHERE seq = ?",
            [(c, line, seq) for seq, (c, line) in b.reports.items()],
        )
        await tx.executemany(
            "UPDATE report_key_history SET certificate = ? WHERE report_seq = ? AND generation = ?",
            [(c, seq, g) for (seq, g), c in b.history.items()],
        )
        await tx.executemany(
            "UPDATE package_drafts SET certificate = ? WHERE id = ?", [(c, i) for i, c in b.drafts.items()]
        )
        await tx.executemany(
            "UPDATE subject_keys SET grants_certificate = ? WHERE id = ? AND certificate IS NULL",
            [(c, i) for i, c in b.subject_keys.items()],
        )
        await tx.execute("DELETE FROM certification_owed")


async def forget_owed(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM certification_owed")
