"""SQL for security staff's view of units: who holds which key, what is sealed where, renaming
and retiring units."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from dropbox_server.store.audit import AuditEntry, AuditRow, PendingAudit, append_tx, blob_or_empty
from dropbox_server.store.database import Database
from dropbox_server.store.errors import UnitNameTaken, is_unit_name_taken
from dropbox_server.store.records import UnitFacts
from dropbox_server.unit_names import name_key

# A report is open ('new' or 'assessing') until it has a final outcome (reports.case_actions).
CLOSED_OUTCOMES = ("investigation", "safeguarding", "intelligence", "no-further-action", "out-of-scope")


@dataclass(frozen=True)
class KeyHolders:
    """One unit key: its holders' usernames and whether the custodian holds it."""

    key_id: int
    unit_id: str
    created_day: str
    retired_day: str | None
    members: tuple[str, ...]
    custodian: bool


async def key_holders(db: Database, unit_id: str) -> list[KeyHolders]:
    """Every key of a unit, oldest first, with who holds a sealed copy of it."""
    keys = await db.fetch_all(
        "SELECT id, created_day, retired_day FROM unit_keys WHERE unit_id = ? ORDER BY id", (unit_id,)
    )
    grants = await db.fetch_all(
        "SELECT g.unit_key_id, s.username, g.staff_id IS NULL FROM unit_key_grants g "
        "JOIN unit_keys k ON k.id = g.unit_key_id LEFT JOIN staff s ON s.id = g.staff_id "
        "WHERE k.unit_id = ? ORDER BY s.username",
        (unit_id,),
    )
    out = []
    for k in keys:
        mine = [g for g in grants if int(g[0]) == int(k[0])]
        out.append(
            KeyHolders(
                int(k[0]),
                unit_id,
                str(k[1]),
                k[2],
                tuple(str(g[1]) for g in mine if not g[2]),
                any(bool(g[2]) for g in mine),
            )
        )
    return out


async def reports_sealed_to(db: Database, key_ids: Sequence[int]) -> list[str]:
    """Public ids of reports with anything (content, contact, a passed-on reason) sealed to `key_ids`."""
    if not key_ids:
        return []
    marks = ",".join("?" * len(key_ids))
    rows = await db.fetch_all(
        "SELECT DISTINCT r.id FROM reports r WHERE r.seq IN ("  # noqa: S608
        f"SELECT report_seq FROM report_key_grants WHERE unit_key_id IN ({marks}) "
        f"UNION SELECT report_seq FROM transfers WHERE sender_unit_key_id IN ({marks})) ORDER BY r.id",
        (*key_ids, *key_ids),
    )
    return [str(r[0]) for r in rows]


async def unit_retired_day(db: Database, unit_id: str) -> str | None:
    r = await db.fetch_one("SELECT retired_day FROM units WHERE id = ?", (unit_id,))
    return str(r[0]) if r and r[0] else None


async def open_report_ids(db: Database, unit_id: str) -> list[str]:
    """Public ids of the reports a unit holds that are still open."""
    marks = ",".join("?" * len(CLOSED_OUTCOMES))
    rows = await db.fetch_all(
        f"SELECT id FROM reports WHERE unit_id = ? AND outcome NOT IN ({marks}) ORDER BY id",  # noqa: S608
        (unit_id, *CLOSED_OUTCOMES),
    )
    return [str(r[0]) for r in rows]


class UnitChanged(Exception):
    """The unit's row is no longer what was checked; nothing was written."""


async def rename_unit(
    db: Database, was: UnitFacts, name: str, certificate: bytes, audit: PendingAudit
) -> None:
    """A unit's new name and certificate, only while its row is still `was` (as checked);
    UnitNameTaken if another unit's name looks the same (units.name_key)."""
    try:
        async with db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE units SET name = ?, name_key = ?, certificate = ? "
                "WHERE id = ? AND name = ? AND kind = ? AND retired_day IS ? AND certificate = ?",
                (name, name_key(name), certificate, was.id, was.name, was.kind, was.retired_day,
                 was.certificate),
            )
            if cur.rowcount != 1:
                raise UnitChanged(was.id)
            await append_tx(tx, audit)
    except sqlite3.IntegrityError as exc:
        if is_unit_name_taken(exc):
            raise UnitNameTaken(name) from None
        raise


async def unit_names(db: Database) -> list[tuple[str, str, bool]]:
    """(id, name, whether its name key is held) of every unit: a unit left without a key by
    migration 0021 has a name that looks like an older unit's."""
    rows = await db.fetch_all("SELECT id, name, name_key IS NOT NULL FROM units ORDER BY rowid")
    return [(str(r[0]), str(r[1]), bool(r[2])) for r in rows]


async def retire_unit(
    db: Database, was: UnitFacts, day: str, certificate: bytes, audit: PendingAudit
) -> list[str]:
    """Retire a unit unless it holds open reports (checked in the same transaction); returns
    them. Written with its new certificate, only while its row is still `was` (as checked)."""
    marks = ",".join("?" * len(CLOSED_OUTCOMES))
    async with db.transaction() as tx:
        cur = await tx.execute(
            f"SELECT id FROM reports WHERE unit_id = ? AND outcome NOT IN ({marks}) ORDER BY id",  # noqa: S608
            (was.id, *CLOSED_OUTCOMES),
        )
        still_open = [str(r[0]) for r in await cur.fetchall()]
        if still_open:
            return still_open
        cur = await tx.execute(
            "UPDATE units SET retired_day = ?, certificate = ? "
            "WHERE id = ? AND name = ? AND kind = ? AND retired_day IS NULL AND certificate = ?",
            (day, certificate, was.id, was.name, was.kind, was.certificate),
        )
        if cur.rowcount != 1:
            raise UnitChanged(was.id)
        await append_tx(tx, audit)
    return []


# Each unit with the newest rename or retirement entry that names the certificate it made
# (custody/certify.unit_holds checks the row against it; insider finding V1).
_FACTS = (
    "SELECT u.id, u.name, u.kind, u.retired_day, u.name_key, u.certificate, "
    "a.seq, a.at, a.action, a.staff_id, a.username, a.unit_id, a.report_id, a.detail, a.prev_hash, a.hash "
    "FROM units u LEFT JOIN audit_log a ON a.seq = (SELECT max(seq) FROM audit_log "
    "WHERE action IN ('unit_renamed', 'unit_retired') AND unit_id = u.id AND detail LIKE '%cert=%')"
)


def _facts(r: Sequence[object]) -> UnitFacts:
    cert = r[5]
    change = None
    if r[6] is not None:
        entry = AuditEntry(str(r[7]), str(r[8]), r[9] if isinstance(r[9], int) else None,
                           None if r[10] is None else str(r[10]), None if r[11] is None else str(r[11]),
                           None if r[12] is None else str(r[12]), str(r[13]))
        change = AuditRow(int(str(r[6])), entry, blob_or_empty(r[14]), blob_or_empty(r[15]))
    return UnitFacts(str(r[0]), str(r[1]), str(r[2]), None if r[3] is None else str(r[3]),
                     None if r[4] is None else str(r[4]), bytes(cert) if isinstance(cert, bytes) else None,
                     change)


async def unit_facts(db: Database) -> list[UnitFacts]:
    """Every unit (retired ones too) as its certificate covers it, hub first then by name."""
    return [_facts(r) for r in await db.fetch_all(_FACTS + " ORDER BY u.kind DESC, u.name")]


async def unit_facts_of(db: Database, unit_id: str) -> UnitFacts | None:
    row = await db.fetch_one(_FACTS + " WHERE u.id = ?", (unit_id,))
    return _facts(row) if row is not None else None


def unit_facts_in(conn: sqlite3.Connection) -> list[UnitFacts]:
    """The same, read by `status` on its read-only connection."""
    return [_facts(r) for r in conn.execute(_FACTS + " ORDER BY u.kind DESC, u.name").fetchall()]


async def set_unit_certificates(db: Database, certificates: dict[str, bytes]) -> None:
    """Certify units as found (the one-time upgrade) and clear the marker that asked for it."""
    async with db.transaction() as tx:
        await tx.executemany(
            "UPDATE units SET certificate = ? WHERE id = ?", [(c, i) for i, c in certificates.items()]
        )
        await tx.execute("DELETE FROM unit_certification_owed")


async def unit_certification_owed(db: Database) -> bool:
    return await db.fetch_one("SELECT 1 FROM unit_certification_owed") is not None


async def units_of_keys(db: Database, key_ids: Sequence[int]) -> list[str]:
    """The units the given unit keys belong to."""
    if not key_ids:
        return []
    marks = ",".join("?" * len(key_ids))
    rows = await db.fetch_all(
        f"SELECT DISTINCT unit_id FROM unit_keys WHERE id IN ({marks}) ORDER BY unit_id",  # noqa: S608
        tuple(key_ids),
    )
    return [str(r[0]) for r in rows]


_NAMED_UNITS = (
    "SELECT unit_id FROM unit_keys UNION SELECT unit_id FROM staff WHERE unit_id IS NOT NULL "
    "UNION SELECT unit_id FROM reports UNION SELECT unit_id FROM audit_log "
    "WHERE action IN ('unit_renamed', 'unit_retired') AND unit_id IS NOT NULL"
)


def named_units_in(conn: sqlite3.Connection) -> tuple[set[str], set[str], str]:
    """(unit ids with a row, unit ids keys, staff, reports or the audit log name, the routing).

    For the health check that every unit that should be there is (insider finding V3).
    """
    present = {str(r[0]) for r in conn.execute("SELECT id FROM units").fetchall()}
    named = {str(r[0]) for r in conn.execute(_NAMED_UNITS).fetchall()}
    for (detail,) in conn.execute("SELECT detail FROM audit_log WHERE action = 'unit_created'").fetchall():
        first = str(detail).split(" ", 1)[0]
        if first.startswith("unit="):
            named.add(first.removeprefix("unit="))
    row = conn.execute("SELECT routing FROM deployment WHERE id = 1").fetchone()
    return present, named, str(row[0]) if row else "direct"


async def unit_exists(db: Database, unit_id: str) -> bool:
    return await db.fetch_one("SELECT 1 FROM units WHERE id = ?", (unit_id,)) is not None
