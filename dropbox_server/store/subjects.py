"""SQL for repeat subjects: each unit's sealed subject key and the keyed digests of reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dropbox_server.store.database import Database


@dataclass(frozen=True, repr=False)
class SubjectKeyRow:
    """A unit's subject key: its id and its copies sealed to the unit's ring keys."""

    id: int
    unit_id: str
    grants: dict[int, bytes]  # unit key id -> subject key sealed to that unit key
    certificate: bytes | None  # binds id, unit and the key (custody/certify.py)
    grants_certificate: bytes | None  # binds the grants of a key made before 0016 (upgrade)

    def __repr__(self) -> str:
        return f"SubjectKeyRow({self.id}, {self.unit_id})"


async def subject_key(db: Database, unit_id: str) -> SubjectKeyRow | None:
    """The unit's subject key with every sealed copy, or None before the unit has one."""
    row = await db.fetch_one(
        "SELECT id, certificate, grants_certificate FROM subject_keys WHERE unit_id = ?", (unit_id,)
    )
    if row is None:
        return None
    key_id = int(row[0])
    grants = await db.fetch_all(
        "SELECT unit_key_id, sealed_key FROM subject_key_grants WHERE subject_key_id = ?", (key_id,)
    )
    return SubjectKeyRow(
        key_id, unit_id, {int(g[0]): bytes(g[1]) for g in grants},
        bytes(row[1]) if row[1] is not None else None, bytes(row[2]) if row[2] is not None else None,
    )


async def create_subject_key(
    db: Database, unit_id: str, day: str, grants: dict[int, bytes], certifier: Callable[[int], bytes]
) -> bool:
    """Store a unit's first subject key with its certificate; False when another session made one."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "INSERT INTO subject_keys (unit_id, created_day) VALUES (?, ?) ON CONFLICT (unit_id) DO NOTHING",
            (unit_id, day),
        )
        if cur.rowcount != 1:
            return False
        key_id = int(cur.lastrowid or 0)
        await tx.execute("UPDATE subject_keys SET certificate = ? WHERE id = ?", (certifier(key_id), key_id))
        await tx.executemany(
            "INSERT INTO subject_key_grants (subject_key_id, unit_key_id, sealed_key) VALUES (?, ?, ?)",
            [(key_id, unit_key_id, blob) for unit_key_id, blob in grants.items()],
        )
    return True


async def add_grant(db: Database, subject_key_id: int, unit_key_id: int, sealed: bytes) -> None:
    """Seal the subject key to a ring key added since (rotation); a copy already there is kept."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO subject_key_grants (subject_key_id, unit_key_id, sealed_key) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (subject_key_id, unit_key_id, sealed),
        )


async def set_certificate(
    db: Database, subject_key_id: int, grants_certificate: bytes, certificate: bytes
) -> bool:
    """Certify a key made before 0016 by the key itself, once, if its grants certificate is unchanged."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE subject_keys SET certificate = ?, grants_certificate = NULL "
            "WHERE id = ? AND certificate IS NULL AND grants_certificate = ?",
            (certificate, subject_key_id, grants_certificate),
        )
        return cur.rowcount == 1


async def all_grants(db: Database) -> list[tuple[int, str, dict[int, bytes]]]:
    """(id, unit, grants) of every subject key, for the upgrade's trust point."""
    keys = await db.fetch_all("SELECT id, unit_id FROM subject_keys ORDER BY id")
    rows = await db.fetch_all("SELECT subject_key_id, unit_key_id, sealed_key FROM subject_key_grants")
    grants: dict[int, dict[int, bytes]] = {}
    for sk_id, uk_id, sealed in rows:
        grants.setdefault(int(sk_id), {})[int(uk_id)] = bytes(sealed)
    return [(int(k[0]), str(k[1]), grants.get(int(k[0]), {})) for k in keys]


async def is_marked(db: Database, subject_key_id: int, report_seq: int) -> bool:
    row = await db.fetch_one(
        "SELECT 1 FROM subject_marks WHERE report_seq = ? AND subject_key_id = ? LIMIT 1",
        (report_seq, subject_key_id),
    )
    return row is not None


async def mark(db: Database, subject_key_id: int, report_seq: int, digests: Sequence[bytes]) -> None:
    """Store a report's digests once (a second session marking the same report changes nothing)."""
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO subject_marks (subject_key_id, digest, report_seq) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [(subject_key_id, d, report_seq) for d in digests],
        )


async def reports_naming(
    db: Database, subject_key_id: int, unit_id: str, digests: Sequence[bytes], limit: int
) -> list[tuple[bytes, str]]:
    """(digest, report id) of the unit's reports marked with any of `digests`, newest first."""
    if not digests:
        return []
    marks = ",".join("?" * len(digests))
    rows = await db.fetch_all(
        "SELECT m.digest, r.id FROM subject_marks m JOIN reports r ON r.seq = m.report_seq "  # noqa: S608
        f"WHERE m.subject_key_id = ? AND m.digest IN ({marks}) AND r.unit_id = ? "
        "ORDER BY r.created_day DESC, r.id LIMIT ?",
        (subject_key_id, *digests, unit_id, limit),
    )
    return [(bytes(r[0]), str(r[1])) for r in rows]
