"""A follow-up deleted from the middle of a thread by a database writer (insider finding N3)
is marked where it was: on the desk's report page, beside a package being written, and on
the reporter's own page."""

from __future__ import annotations

import sqlite3

import aiohttp

from dropbox_server.store import reports as report_store
from tests.investigator.conftest import Workspace
from tests.investigator.driver import report_ids, text_of
from tests.journeys import Reporter

OLD = "yes, meet me on Friday at the station"
NEW = "do NOT contact me, I am being watched"
MISSING = "An item is missing here: something in this conversation was deleted from the database."
REPORTER_MISSING = "Something is missing here: a message in this conversation was removed on the server."


async def test_a_follow_up_deleted_mid_thread_is_marked_in_the_desks_and_the_reporters_views(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    reporter = Reporter(http, workspace.reporter_url)
    receipt = await reporter.submit_ok(force="kent-police", what_happened="it happened")
    await reporter.open_thread(receipt)
    for text in (NEW, OLD):
        status, _ = await reporter.follow_up(text)
        assert status == 200
    ann = await workspace.signed_in("ann", "desk", "desk_analyst")
    _, desk_inbox = await ann.get("/inbox")
    (report_id,) = report_ids(desk_inbox)
    report = await report_store.get_report(workspace.services.db, report_id)
    assert report is not None
    page = text_of(await ann.open_report(report_id))
    assert NEW in page and MISSING not in page
    _, thread = await reporter.get("/thread")
    assert REPORTER_MISSING not in text_of(thread)
    with sqlite3.connect(workspace.settings.database_path) as raw:
        raw.execute("DELETE FROM items WHERE report_seq = ? AND kind = 'reporter_message' AND n = "
                    "(SELECT min(n) FROM items WHERE report_seq = ? AND kind = 'reporter_message')",
                    (report.seq, report.seq))
    page = text_of(await ann.open_report(report_id))
    assert NEW not in page and page.count(MISSING) == 1 and page.index(MISSING) < page.index(OLD)
    status, form = await ann.get(f"/desk/reports/{report_id}/packages/new?to_unit=kent-police")
    assert status == 200
    beside = text_of(form)
    assert beside.count(MISSING) == 1 and beside.index(MISSING) < beside.index(OLD)
    _, thread = await reporter.get("/thread")
    shown = text_of(thread)
    assert shown.count(REPORTER_MISSING) == 1 and shown.index(REPORTER_MISSING) < shown.index("Your message 2")
