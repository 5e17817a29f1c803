"""SQL for repeat subjects: each unit's sealed subject key and the keyed digests of reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dropbox_server.store.database import Database


@dataclass(frozen=True, repr=False)
class SubjectKeyRow:
    """A unit's subject key: its id and its copies sealed to the unit's ring keys."""

    id: int
    unit_id: str
    grants: dict[int, bytes]  # unit key id -> subject key sealed to that unit key

    def __repr__(self) -> str:
        return f"SubjectKeyRow({self.id}, {self.unit_id})"


async def subject_key(db: Database, unit_id: str) -> SubjectKeyRow | None:
    """The unit's subject key with every sealed copy, or None before the unit has one."""
    row = await db.fetch_one("SELECT id FROM subject_keys WHERE unit_id = ?", (unit_id,))
    if row is None:
        return None
    key_id = int(row[0])
    grants = await db.fetch_all(
        "SELECT unit_key_id, sealed_key FROM subject_key_grants WHERE subject_key_id = ?", (key_id,)
    )
    return SubjectKeyRow(key_id, unit_id, {int(g[0]): bytes(g[1]) for g in grants})


async def create_subject_key(db: Database, unit_id: str, day: str, grants: dict[int, bytes]) -> bool:
    """Store a unit's first subject key; False when another session created one meanwhile."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "INSERT INTO subject_keys (unit_id, created_day) VALUES (?, ?) ON CONFLICT (unit_id) DO NOTHING",
            (unit_id, day),
        )
        if cur.rowcount != 1:
            return False
        key_id = int(cur.lastrowid or 0)
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
