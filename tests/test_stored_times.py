"""Invariant 2: no IP address, user agent or precise time is stored with a report."""

from __future__ import annotations

import re
import sqlite3

import aiohttp

from dropbox_server.clock import today
from dropbox_server.files.disk import day_timestamp
from dropbox_server.reports import case_actions
from dropbox_server.reports.reporter_access import open_with_receipt
from receipt_codes import parse_receipt
from tests.conftest import Sites
from tests.journeys import Reporter
from tests.test_reporter_journey import enrol

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


async def test_report_tables_hold_days_only_and_no_client_details(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
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
                assert not re.search(r"(^|_)(ip|addr|address|agent|ua|time|timestamp|at)$", column), (
                    table,
                    column,
                )
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


# A time of day in text, or a number that could be a POSIX time in seconds or milliseconds.
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}")
_POSIX_RANGE = range(10**9, 10**13)
# Known exceptions, each explained where it is kept: the TOTP replay guard must remember the
# 30-second step of an account's last accepted code (a staff fact, not a report's).
_EXEMPT = {("staff", "totp_last_step")}
_RANDOM_FLOOR = 2**32  # a random 62-bit key falls below this once in 2^30 draws


async def test_no_time_finer_than_a_day_and_no_order_across_reports(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    """Issue 14 item 16: a Met reporter's follow-up written between two Kent notes cannot be
    placed between them from a copy of the data directory."""
    db = sites.services.db
    kent, met = Reporter(http, sites.reporter_url), None
    kent_receipt = await kent.submit_ok(force="kent-police", files=[("a.pdf", b"%PDF" + b"k" * 3000)])
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        met = Reporter(other, sites.reporter_url)
        met_receipt = await met.submit_ok(force="metropolitan-police-service")
        alice = await enrol(sites, "alice", "kent-police")
        kent_access = await open_with_receipt(db, sites.services.receipts, parse_receipt(kent_receipt))
        assert kent_access is not None
        await case_actions.note(db, alice, kent_access.report_id, "first note", 2000, today())
        await met.open_thread(met_receipt)
        status, _ = await met.follow_up("the follow-up in between")
        assert status == 200
        await case_actions.note(db, alice, kent_access.report_id, "second note", 2000, today())

    with sqlite3.connect(sites.settings.database_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for column in [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]:
                if (table, column) in _EXEMPT:
                    continue
                for (value,) in conn.execute(f"SELECT {column} FROM {table}"):
                    if isinstance(value, str):
                        assert not _TIME_OF_DAY.search(value), (table, column)
                    if isinstance(value, int):
                        assert value not in _POSIX_RANGE or value >= _RANDOM_FLOOR, (table, column)
        audit_times = [r[0] for r in conn.execute("SELECT at FROM audit_log")]
        assert audit_times and all(DAY.match(t) for t in audit_times)
        # Row keys are random, not counters; order exists only within a report.
        seqs = [r[0] for r in conn.execute("SELECT seq FROM reports")]
        assert len(seqs) == 2 and all(s >= _RANDOM_FLOOR for s in seqs)
        items = conn.execute(
            "SELECT r.unit_id, i.kind, i.id, i.n FROM items i JOIN reports r ON r.seq = i.report_seq"
        ).fetchall()
        assert all(item_id >= _RANDOM_FLOOR for _, _, item_id, _ in items)
        positions = {unit: sorted(n for u, _, _, n in items if u == unit) for unit, _, _, _ in items}
        assert positions == {"kent-police": [1, 2, 3], "metropolitan-police-service": [1, 2]}
    # The ciphertext file says the day, not the second it was written.
    midnight = day_timestamp()
    for path in (sites.settings.data_dir / "files").iterdir():
        if path.is_file():
            assert path.stat().st_mtime == midnight and path.stat().st_atime == midnight
    assert (sites.settings.data_dir / "files").stat().st_mtime == midnight
