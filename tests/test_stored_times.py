"""Invariant 2: no IP address, user agent or precise time is stored with a report."""

from __future__ import annotations

import re
import sqlite3

import aiohttp

from tests.conftest import Sites
from tests.journeys import Reporter

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


async def test_report_tables_hold_days_only_and_no_client_details(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    receipt = await reporter.submit_ok(files=[("photo.jpg", b"\xff\xd8" + b"x" * 2000)])
    await reporter.open_thread(receipt)
    await reporter.follow_up("one more thing to add")
    with sqlite3.connect(sites.settings.database_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        checked = 0
        for table in tables:
            if table == "audit_log":  # staff actions only; never a reporter's (see audit.py)
                continue
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            for column in columns:
                assert not re.search(r"(^|_)(ip|addr|address|agent|ua|time|timestamp|at)$", column), (table, column)
                values = [r[0] for r in conn.execute(f"SELECT {column} FROM {table}")]
                if column.endswith("day"):
                    assert all(v is None or DAY.match(v) for v in values), (table, column)
                    checked += len(values)
                for v in values:
                    if isinstance(v, str):
                        assert "127.0.0.1" not in v and "Python/" not in v, (table, column)
        reporter_actions = conn.execute(
            "SELECT count(*) FROM audit_log WHERE staff_id IS NULL AND username IS NULL"
        ).fetchone()[0]
    assert checked >= 3, "the journey stored days in reports and items"
    assert reporter_actions == 0, "nothing a reporter does is audited"
