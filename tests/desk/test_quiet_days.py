"""The "reporter quiet N days" counted from the trigger-kept day counts equals counting the reports,
after reports arrive on different days, a reporter writes again, and a report is deleted."""

from __future__ import annotations

from dropbox_server.clock import days_before
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services
from dropbox_server.store import NewItem
from dropbox_server.store.casework import InboxFilter, count_matching, count_quiet
from dropbox_server.store.reports import add_item_tx

DAYS_AGO = (0, 3, 29, 30, 31, 45, 45, 90)


async def _agree(services: Services) -> list[int]:
    counts = []
    for quiet in (0, 1, 30, 31, 46, 100):
        since = days_before(quiet)
        direct = await count_matching(services.db, "desk", InboxFilter(reporter_quiet_since=since))
        assert await count_quiet(services.db, "desk", since) == direct, quiet
        counts.append(direct)
    return counts


async def test_day_counts_follow_every_write(services: Services) -> None:
    db = services.db
    for n, ago in enumerate(DAYS_AGO):
        content = ReportContent(force="kent-police", conduct="corruption", what_happened=f"report {n}")
        await submit_report(db, services.receipts, content, None, "online", days_before(ago))
    assert await _agree(services) == [8, 7, 5, 4, 1, 0]

    # The reporter of the 90-day-old report writes today: it is no longer quiet.
    oldest = await db.fetch_one("SELECT seq FROM reports ORDER BY reporter_last_day LIMIT 1")
    assert oldest is not None
    async with db.transaction() as tx:
        item = NewItem(kind="reporter_message", ciphertext=b"x", key_for_unit=b"y")
        await add_item_tx(tx, int(oldest[0]), item, days_before(0))
    assert await _agree(services) == [8, 6, 4, 3, 0, 0]

    # A deleted report (a reporter withdrawing it) leaves the counts.
    a_45 = await db.fetch_one("SELECT seq FROM reports WHERE reporter_last_day = ?", (days_before(45),))
    assert a_45 is not None
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM reports WHERE seq = ?", (int(a_45[0]),))
    assert await _agree(services) == [7, 5, 3, 2, 0, 0]
