"""Storing an item and reading a report's items go through an index on items(report_seq, n),
not a scan of every item of every report (found when the desk benchmark's loader slowed
with each report it stored: the partial index of migration 0006 served neither)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server.store import open_database

REPORT_SQL = (
    "INSERT INTO reports (seq, id, unit_id, first_unit_id, channel, conduct, contact_scope, "
    "created_day, last_activity_day, lookup_id, reporter_public_key, report_public_key) "
    "VALUES (?, ?, 'u', 'u', 'online', 'other', 'none', '2026-01-01', '2026-01-01', ?, x'01', x'02')"
)
ITEM_SQL = (
    "INSERT INTO items (report_seq, kind, created_day, ciphertext, key_for_unit) "
    "VALUES (?, 'reporter_message', '2026-01-01', x'00', x'00')"
)


def _add_reports(conn: sqlite3.Connection, start: int, count: int) -> None:
    for seq in range(start, start + count):
        conn.execute(REPORT_SQL, (seq, f"r{seq}", seq.to_bytes(32, "big")))
        conn.execute(ITEM_SQL, (seq,))


def _steps_to_store_an_item(conn: sqlite3.Connection, seq: int) -> int:
    """SQLite virtual-machine steps (in hundreds) to store one item: no clock involved."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(count, 100)
    try:
        conn.execute(ITEM_SQL, (seq,))
    finally:
        conn.set_progress_handler(None, 0)
    return steps[0]


async def test_storing_an_item_does_not_read_every_item(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    db = await open_database(path)
    await db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO units (id, name, kind, created_day) VALUES ('u', 'U', 'force', '2026-01-01')")
        _add_reports(conn, 1, 200)
        few = _steps_to_store_an_item(conn, 100)
        _add_reports(conn, 201, 4_000)
        many = _steps_to_store_an_item(conn, 100)
        # Numbered after the items already there (the trigger still does its work).
        assert [n for (n,) in conn.execute("SELECT n FROM items WHERE report_seq = 100 ORDER BY n")] == [1, 2, 3]
    # Twenty times the items: a scan would take about twenty times the steps.
    assert many <= few + 5, (few, many)


async def test_reading_a_reports_items_uses_an_index(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    db = await open_database(path)
    await db.close()
    with sqlite3.connect(path) as conn:
        for sql in (
            "SELECT coalesce(max(n), 0) + 1 FROM items WHERE report_seq = 1",
            "SELECT id FROM items WHERE report_seq = 1 AND kind = 'report' ORDER BY n LIMIT 1",
            "SELECT id FROM items WHERE report_seq = 1 ORDER BY n",
            "SELECT report_seq FROM items WHERE report_seq IN (1, 2) AND kind = 'report'",
        ):
            plan = [str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
            assert any("INDEX" in step for step in plan), (sql, plan)
