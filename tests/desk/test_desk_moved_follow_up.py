"""The desk's views mark a reporter's follow-up that a database writer copied to a later place
in the thread (the follow-up counterpart of insider finding F6): the report page's thread and
the reporter's report shown beside a package being written."""

from __future__ import annotations

import secrets
import sqlite3

import aiohttp

from tests.desk.follow_up_thread import NEW, OLD, desk_thread_with
from tests.investigator.conftest import Workspace
from tests.investigator.driver import text_of

WARNING = "this message could not be confirmed as sent by the reporter at this place in the conversation"


async def test_a_moved_follow_up_is_marked_in_the_desks_views(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    thread = await desk_thread_with(workspace, http, (OLD, NEW))
    ann, report_id, report = thread.analyst, thread.report_id, thread.report
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
