"""The desk's inbox filters read what they need (found when the desk was benchmarked with
100,000 reports): the "reporter quiet N days" page starts its walk at the reports that can be
quiet, not at the newest, and a count with no assignment filter does not read assignments."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server.store import open_database
from dropbox_server.store.casework import _BY_UNIT, _R_COLUMNS, _UNREAD, InboxFilter, count_matching


def _plan(path: Path, sql: str, params: list[object]) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return [str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


async def test_quiet_page_starts_at_the_days_that_can_be_quiet(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    await (await open_database(path)).close()
    extra, params = InboxFilter(reporter_quiet_since="2026-11-01").clauses(paging=True)
    sql = (
        f"SELECT {_R_COLUMNS}, {_UNREAD}, a.staff_id FROM {_BY_UNIT} "
        "LEFT JOIN report_reads rr ON rr.report_seq = r.seq AND rr.staff_id = ? "
        f"WHERE r.unit_id = ?{extra} ORDER BY r.created_day DESC, r.seq DESC LIMIT 26"
    )
    plan = _plan(path, sql, [1, "desk", *params])
    assert any("reports_unit_order (unit_id=? AND created_day<?)" in step for step in plan), plan


async def test_a_count_without_an_assignment_filter_reads_no_assignments(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    db = await open_database(path)
    try:
        sqls: list[str] = []
        await db._reader.set_trace_callback(sqls.append)  # the SQL the store really runs
        await count_matching(db, "desk", InboxFilter(desk_state="waiting"))
        await count_matching(db, "desk", InboxFilter(desk_state="waiting", assignee=1))
    finally:
        await db.close()
    assert "report_assignments" not in sqls[0], sqls
    assert "report_assignments" in sqls[1], sqls
