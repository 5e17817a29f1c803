"""Read-only questions asked of a database copy (a backup's snapshot), never of the live one."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    # mode=ro: asking a copy anything must never change it (nor create a journal beside it).
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        yield conn


def file_sizes_in_copy(path: Path) -> dict[str, int]:
    """Every attachment the copy names, id → stored (ciphertext) bytes."""
    with _read_only(path) as conn:
        rows = conn.execute("SELECT id, stored_bytes FROM files").fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def last_day_of_action_in_copy(path: Path, action: str) -> str | None:
    """The day (YYYY-MM-DD) of the newest audit entry for `action`, or None if there is none.

    Security: only the day is returned, whatever precision the audit entry has.
    """
    with _read_only(path) as conn:
        row = conn.execute(
            "SELECT at FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1", (action,)
        ).fetchone()
    return str(row[0])[:10] if row else None
