"""The inbox's unread marker reads a report's items through their index, not by scanning
every item of every report for each row shown (found when the search was benchmarked)."""

from __future__ import annotations

import sqlite3

from dropbox_server.store.casework import _UNREAD
from tests.investigator.conftest import Workspace


async def test_unread_marker_uses_the_items_index(workspace: Workspace) -> None:
    sql = (
        f"EXPLAIN QUERY PLAN SELECT {_UNREAD} FROM reports r "
        "LEFT JOIN report_reads rr ON rr.report_seq = r.seq AND rr.staff_id = 1"
    )
    with sqlite3.connect(f"file:{workspace.settings.database_path}?mode=ro", uri=True) as conn:
        plan = [str(row[3]) for row in conn.execute(sql)]
    assert any("items_report" in step for step in plan), plan
    assert not any(step.startswith("SCAN i") for step in plan), plan
