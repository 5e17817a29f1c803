"""A follow-up deleted from the middle of a thread by a database writer (insider finding N3)
is marked where it was: on the desk's report page, beside a package being written, and on
the reporter's own page."""

from __future__ import annotations

import sqlite3

import aiohttp

from tests.desk.follow_up_thread import NEW, OLD, desk_thread_with
from tests.investigator.conftest import Workspace
from tests.investigator.driver import text_of

MISSING = "An item is missing here: something in this conversation was deleted from the database."
REPORTER_MISSING = "Something is missing here: a message in this conversation was removed on the server."


async def test_a_follow_up_deleted_mid_thread_is_marked_in_the_desks_and_the_reporters_views(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    thread = await desk_thread_with(workspace, http, (NEW, OLD))
    reporter, ann, report_id, report = thread.reporter, thread.analyst, thread.report_id, thread.report
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
