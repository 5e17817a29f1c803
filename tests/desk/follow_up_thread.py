"""A desk report with two reporter follow-ups, opened by a desk analyst: where the desk tests
of tampered threads (a moved follow-up, a deleted one) begin."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from dropbox_server.store import reports as report_store
from dropbox_server.store.records import ReportRow
from tests.investigator.conftest import Workspace
from tests.investigator.driver import Investigator, report_ids
from tests.journeys import Reporter

OLD = "yes, meet me on Friday at the station"
NEW = "do NOT contact me, I am being watched"


@dataclass(frozen=True)
class DeskThread:
    reporter: Reporter
    analyst: Investigator
    report_id: str
    report: ReportRow


async def desk_thread_with(workspace: Workspace, http: aiohttp.ClientSession, texts: tuple[str, str]) -> DeskThread:
    """A report to the desk, then these two follow-ups in order; the analyst `ann` signed in."""
    reporter = Reporter(http, workspace.reporter_url)
    receipt = await reporter.submit_ok(force="kent-police", what_happened="it happened")
    await reporter.open_thread(receipt)
    for text in texts:
        status, _ = await reporter.follow_up(text)
        assert status == 200
    ann = await workspace.signed_in("ann", "desk", "desk_analyst")
    _, desk_inbox = await ann.get("/inbox")
    (report_id,) = report_ids(desk_inbox)
    report = await report_store.get_report(workspace.services.db, report_id)
    assert report is not None
    return DeskThread(reporter, ann, report_id, report)
