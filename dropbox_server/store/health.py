"""SQL for `run.py status`: integrity, key ages, key holders and retention, read-only.

Status runs beside a live `serve`, so it opens the database read-only (it never migrates,
writes or takes the write lock) and reads only counts, unit ids and days: no content.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


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
