"""The desk's views mark a reporter's follow-up that a database writer copied to a later place
in the thread (the follow-up counterpart of insider finding F6): the report page's thread and
the reporter's report shown beside a package being written."""

from __future__ import annotations

import secrets
import sqlite3

import aiohttp

from dropbox_server.store import reports as report_store
from tests.investigator.conftest import Workspace
from tests.investigator.driver import report_ids, text_of
from tests.journeys import Reporter

OLD = "yes, meet me on Friday at the station"
NEW = "do NOT contact me, I am being watched"
WARNING = "this message could not be confirmed as sent by the reporter at this place in the conversation"


async def test_a_moved_follow_up_is_marked_in_the_desks_views(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    reporter = Reporter(http, workspace.reporter_url)
    receipt = await reporter.submit_ok(force="kent-police", what_happened="it happened")
    await reporter.open_thread(receipt)
    for text in (OLD, NEW):
        status, _ = await reporter.follow_up(text)
        assert status == 200
    ann = await workspace.signed_in("ann", "desk", "desk_analyst")
    _, desk_inbox = await ann.get("/inbox")
    (report_id,) = report_ids(desk_inbox)
    report = await report_store.get_report(workspace.services.db, report_id)
    assert report is not None
    page = text_of(await ann.open_report(report_id))
    assert OLD in page and NEW in page and WARNING not in page
    with sqlite3.connect(workspace.settings.database_path) as raw:
        raw.row_factory = sqlite3.Row
        first, second = raw.execute(
            "SELECT * FROM items WHERE report_seq = ? AND kind = 'reporter_message' ORDER BY n",
            (report.seq,),
        ).fetchall()
        copy = dict(first)
        copy["id"], copy["n"] = secrets.randbits(62), second["n"] + 1
        raw.execute(f"INSERT INTO items ({', '.join(copy)}) VALUES ({', '.join('?' * len(copy))})",
                    tuple(copy.values()))
        raw.execute("DELETE FROM items WHERE id = ?", (second["id"],))
    page = text_of(await ann.open_report(report_id))
    assert NEW not in page and page.count(OLD) == 2 and page.count(WARNING) == 1
    assert page.index(WARNING) > page.index(OLD)  # on the copy, not on the genuine one
    status, form = await ann.get(f"/desk/reports/{report_id}/packages/new?to_unit=kent-police")
    assert status == 200
    beside = text_of(form)
    assert beside.count(OLD) == 2 and beside.count(WARNING) == 1
    assert beside.index(WARNING) > beside.index(OLD)
