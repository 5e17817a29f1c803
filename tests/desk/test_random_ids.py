"""L2: package drafts and relay messages have random ids, never a counter.

Before the fix package_drafts.id was SQLite's rowid: after a reporter withdrew a report
whose draft had the highest number, the next draft got that same number, so an audit line
'draft=2' before the withdrawal and one after named different drafts of different reports,
and the numbers told the order of the desk's work.
"""

from __future__ import annotations

from dropbox_server.clock import today
from dropbox_server.reports import packages, relay
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt, withdraw_report
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services
from tests.desk.flow import PACKAGE
from tests.desk.insider import member, reviewed

BIG = 2**40  # a counter would not reach this in these few rows


async def test_draft_and_relay_ids_are_random_and_not_reused(services: Services) -> None:
    db = services.db
    kept = await submit_report(
        db, services.receipts, ReportContent(force="kent-police", conduct="corruption", what_happened="a"),
        None, "online", today(),
    )  # fmt: skip
    gone = await submit_report(
        db, services.receipts, ReportContent(force="essex-police", conduct="corruption", what_happened="b"),
        None, "online", today(),
    )  # fmt: skip
    ann = await member(services, "ann", "desk", "desk_analyst")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    kim = await member(services, "kim", "kent-police", "investigator")
    ids = {}
    for receipt in (kept, gone):
        access = await open_with_receipt(db, services.receipts, receipt)
        assert access is not None
        ids[receipt] = access
    first = await packages.create_draft(db, ann, ids[kept].report_id, "kent-police", PACKAGE, False, today())
    second = await packages.create_draft(
        db, ann, ids[gone].report_id, "essex-police", PACKAGE, False, today()
    )
    assert await withdraw_report(db, services.files, ids[gone], today()) == "withdrawn"
    third = await packages.create_draft(db, ann, ids[kept].report_id, "essex-police", PACKAGE, False, today())
    assert len({first, second, third}) == 3
    assert min(first, second, third) > BIG

    await packages.submit_draft(db, ann, first, today())
    package = await packages.approve_draft(
        db, sue, first, set(packages.CHECKLIST), await reviewed(db, first), today()
    )
    asked = [await relay.ask_desk(db, kim, package, "question", f"Q{n}", 2000, today()) for n in range(2)]
    assert len(set(asked)) == 2 and min(asked) > BIG
