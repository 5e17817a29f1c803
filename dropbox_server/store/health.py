"""SQL for `run.py status`: integrity, key ages, key holders, certificates, the audit chain and
retention, read-only.

Status runs beside a live `serve`, so it opens the database read-only (it never migrates,
writes or takes the write lock) and reads only counts, unit ids and days: no content.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dropbox_server.store.audit import AuditEntry, AuditRow, blob_or_empty
from dropbox_server.store.certificates import HistoryRow, ReportBinding


@dataclass(frozen=True)
class UnitKeyHealth:
    """One unit: when its current key was made, how many members hold it, reports it has."""

    unit_id: str
    key_day: str | None
    holders: int
    reports: int


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the database file (sqlite3.Error if it cannot be opened)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        yield conn
    finally:
        conn.close()


def quick_check(conn: sqlite3.Connection) -> list[str]:
    """SQLite's quick_check: ["ok"] when the file is sound, else its first problems."""
    return [str(r[0]) for r in conn.execute("PRAGMA quick_check(10)").fetchall()]


def unit_keys(conn: sqlite3.Connection) -> list[UnitKeyHealth]:
    """Every unit with its current key's day, the members holding that key, and its reports."""
    rows = conn.execute(
        "SELECT u.id, k.created_day, "
        " (SELECT count(*) FROM unit_key_grants g WHERE g.unit_key_id = k.id "
        "  AND g.staff_id IS NOT NULL), "
        " (SELECT count(*) FROM reports r WHERE r.unit_id = u.id) "
        "FROM units u LEFT JOIN unit_keys k ON k.id = "
        " (SELECT max(id) FROM unit_keys WHERE unit_id = u.id AND retired_day IS NULL) "
        "ORDER BY u.id"
    ).fetchall()
    return [UnitKeyHealth(str(r[0]), r[1], int(r[2]), int(r[3])) for r in rows]


def outcomes(conn: sqlite3.Connection) -> list[str]:
    """Every outcome reports have now."""
    return [str(r[0]) for r in conn.execute("SELECT DISTINCT outcome FROM reports").fetchall()]


def count_inactive_since(conn: sqlite3.Connection, outcome: str, before_day: str) -> int:
    """Reports with this outcome whose last activity was before before_day."""
    row = conn.execute(
        "SELECT count(*) FROM reports WHERE outcome = ? AND last_activity_day < ?",
        (outcome, before_day),
    ).fetchone()
    return int(row[0])


def key_rows(conn: sqlite3.Connection) -> tuple[
    tuple[bytes, bytes | None] | None,
    list[tuple[int, str, bytes, bytes | None]],
    list[tuple[int, str, str, bytes, bytes | None]],
]:
    """The custodian key, every unit key and every staff key, each with its certificate."""
    found = conn.execute("SELECT public_key, certificate FROM custodian WHERE id = 1").fetchone()
    custodian = (bytes(found[0]), bytes(found[1]) if found[1] is not None else None) if found else None
    unit_keys = [(int(r[0]), str(r[1]), bytes(r[2]), bytes(r[3]) if r[3] is not None else None)
                 for r in conn.execute("SELECT id, unit_id, public_key, certificate FROM unit_keys")]
    staff = [(int(r[0]), str(r[1]), str(r[2]), bytes(r[3]), bytes(r[4]) if r[4] is not None else None)
             for r in conn.execute("SELECT id, unit_id, role, public_key, certificate FROM staff")]
    return custodian, unit_keys, staff


def report_bindings(conn: sqlite3.Connection) -> list[ReportBinding]:
    """What every report's certificate covers, with the certificate (custody/certify.py checks it)."""
    history: dict[int, list[HistoryRow]] = {}
    for h in conn.execute(
        "SELECT report_seq, generation, public_key, last_n, unit_id, certificate FROM report_key_history "
        "ORDER BY report_seq, generation"
    ):
        history.setdefault(int(h[0]), []).append(
            HistoryRow(int(h[1]), bytes(h[2]), int(h[3]), h[4], bytes(h[5]) if h[5] is not None else None)
        )
    rows = conn.execute(
        "SELECT r.seq, r.id, r.unit_id, r.report_public_key, r.reporter_public_key, "
        "coalesce(b.first_n, 1), r.below_line, r.certificate "
        "FROM reports r LEFT JOIN authenticity_began b ON b.report_seq = r.seq"
    )
    return [
        ReportBinding(
            int(r[0]), r[1], r[2], bytes(r[3]), _blob(r[4]), int(r[5]), _blob(r[6]),
            tuple(history.get(int(r[0]), ())), _blob(r[7]),
        )
        for r in rows
    ]


def _blob(value: object) -> bytes | None:
    return bytes(value) if isinstance(value, (bytes, memoryview)) else None


def refused_key_checks(conn: sqlite3.Connection) -> tuple[int, int]:
    """(all, since the last acknowledgement): refusals of a key whose certificate failed."""
    row = conn.execute(
        "SELECT count(*), coalesce(sum(seq > (SELECT coalesce(max(seq), 0) FROM audit_log "
        " WHERE action = 'key_checks_acknowledged')), 0) "
        "FROM audit_log WHERE action = 'key_check_failed'"
    ).fetchone()
    return int(row[0]), int(row[1])


def audit_rows(conn: sqlite3.Connection) -> Iterator[AuditRow]:
    """Every audit entry in chain order, streamed (the log can be long)."""
    for r in conn.execute(
        "SELECT seq, at, action, staff_id, username, unit_id, report_id, detail, prev_hash, hash "
        "FROM audit_log ORDER BY seq"
    ):
        entry = AuditEntry(r[1], r[2], r[3], r[4], r[5], r[6], r[7])
        yield AuditRow(int(r[0]), entry, blob_or_empty(r[8]), blob_or_empty(r[9]))


def key_holder_acks(
    conn: sqlite3.Connection,
) -> tuple[list[tuple[int, int, bytes, bytes | None, str | None]], int]:
    """Every acknowledged notice: (member id, audit seq, MAC, that entry's hash, its action),
    and how many rows are not even of the stored types (a writer's: counted, never raised on)."""
    rows = conn.execute(
        "SELECT k.staff_id, k.audit_seq, k.mac, a.hash, a.action FROM key_holder_acks k "
        "LEFT JOIN audit_log a ON a.seq = k.audit_seq ORDER BY k.audit_seq, k.staff_id"
    ).fetchall()
    good = [
        (r[0], r[1], bytes(r[2]), _blob(r[3]), r[4] if isinstance(r[4], str) else None)
        for r in rows
        if type(r[0]) is int and type(r[1]) is int and isinstance(r[2], bytes)
    ]
    return good, len(rows) - len(good)
