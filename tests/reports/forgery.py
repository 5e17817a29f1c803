"""What an insider with write access to the database (and nothing else) can plant in a thread.

They see every public key in the database, so they can seal a box to the reporter's or the
report's public key exactly as the service does; what they lack is any private key and the
outside key beside the database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.reports.content import item_context


def _keys(db_path: Path, report_id: str) -> tuple[int, bytes, bytes]:
    with sqlite3.connect(db_path) as raw:
        row = raw.execute(
            "SELECT seq, reporter_public_key, report_public_key FROM reports WHERE id = ?", (report_id,)
        ).fetchone()
    return int(row[0]), bytes(row[1]), bytes(row[2])


def _insert(db_path: Path, values: tuple[object, ...]) -> int:
    with sqlite3.connect(db_path) as raw:
        cur = raw.execute(
            "INSERT INTO items (report_seq, kind, created_day, author_staff_id, ciphertext, key_for_unit, "
            "key_for_reporter, authenticator) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )
        return int(cur.lastrowid or 0)


def forge_reply(
    db_path: Path, report_id: str, text: str, day: str, authenticator: bytes | None = None
) -> int:
    """A 'reply from the unit' written straight into the database; returns its item id."""
    seq, reporter_public, report_public = _keys(db_path, report_id)
    blob, for_unit, item_key = envelope.seal_new_item(
        report_public, text.encode("utf-8"), item_context(report_id, "unit_reply")
    )
    for_reporter = envelope.seal(reporter_public, item_key)
    return _insert(db_path, (seq, "unit_reply", day, None, blob, for_unit, for_reporter, authenticator))


def item_position(db_path: Path, item_id: int) -> int:
    """Where a forged item stands in its report (what a signed reply's signature covers)."""
    with sqlite3.connect(db_path) as raw:
        return int(raw.execute("SELECT n FROM items WHERE id = ?", (item_id,)).fetchone()[0])


def forge_follow_up(
    db_path: Path,
    report_id: str,
    text: str,
    day: str,
    authenticator: bytes | None = None,
    to: bytes | None = None,
) -> int:
    """A 'message from the reporter' written straight into the database (sealed to `to`, or
    to the report's current public key)."""
    seq, _, report_public = _keys(db_path, report_id)
    blob, for_unit, _ = envelope.seal_new_item(
        to or report_public, text.encode("utf-8"), item_context(report_id, "reporter_message")
    )
    return _insert(db_path, (seq, "reporter_message", day, None, blob, for_unit, None, authenticator))


def authenticator_of(db_path: Path, item_id: int) -> bytes:
    with sqlite3.connect(db_path) as raw:
        return bytes(raw.execute("SELECT authenticator FROM items WHERE id = ?", (item_id,)).fetchone()[0])
