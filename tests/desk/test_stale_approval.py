"""M3: an approval is bound to the version of the draft its approver reviewed.

Before the fix a supervisor's approve form, opened on a harmless first version, approved
whatever the draft had become meanwhile: another supervisor sent it back, the analyst
edited in identifying detail and resubmitted, and the stale form delivered that to Kent.
"""

from __future__ import annotations

import aiohttp

from tests.desk.flow import CHECKLIST, PACKAGE, draft_package, reviewed_version
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import report_ids, text_of

IDENTIFYING = "Zqidentifying v2: the reporter lives at 12 Acacia Ave"


async def test_a_stale_approve_form_is_refused_and_says_why(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    ws = workspace
    _, source = await submit(ws, force="kent-police", what_happened="my flat")
    ann = await ws.signed_in("ann", "desk", "desk_analyst")
    sue = await ws.signed_in("sue", "desk", "desk_supervisor")
    sam = await ws.signed_in("sam", "desk", "desk_supervisor")
    kim = await ws.signed_in("kim", "kent-police")
    draft = await draft_package(ann, source, "kent-police", summary="Harmless summary v1")
    _, page = await ann.get(f"/desk/packages/{draft}")
    assert (await ann.post(f"/desk/packages/{draft}/submit", {}, csrf_page=page))[0] == 303

    _, sue_page = await sue.get(f"/desk/packages/{draft}")  # Sue reviews v1; her page stays open
    assert "Harmless summary v1" in text_of(sue_page)
    _, page = await sam.get(f"/desk/packages/{draft}")
    assert (await sam.post(f"/desk/packages/{draft}/reject", {"rejection": "tweak"}, csrf_page=page))[
        0
    ] == 303
    _, page = await ann.get(f"/desk/packages/{draft}")
    assert (await ann.post(f"/desk/packages/{draft}", {**PACKAGE, "summary": IDENTIFYING}, csrf_page=page))[
        0
    ] == 303
    _, page = await ann.get(f"/desk/packages/{draft}")
    assert (await ann.post(f"/desk/packages/{draft}/submit", {}, csrf_page=page))[0] == 303

    stale = {**CHECKLIST, "version": reviewed_version(sue_page)}
    status, page = await sue.post(f"/desk/packages/{draft}/approve", stale, csrf_page=sue_page)
    assert status == 409
    assert "The draft changed since you opened it" in text_of(page)
    assert IDENTIFYING in text_of(page)  # the page now shows what she would be approving
    _, inbox = await kim.get("/inbox")
    assert report_ids(inbox) == []  # nothing left the desk

    status, _ = await sue.post(  # a form without a version approves nothing either
        f"/desk/packages/{draft}/approve", CHECKLIST, csrf_page=page
    )
    assert status == 409
    fresh = {**CHECKLIST, "version": reviewed_version(page)}
    status, where = await sue.post(f"/desk/packages/{draft}/approve", fresh, csrf_page=page)
    assert (status, where) == (303, f"/desk/packages/{draft}?done=approve")
    _, inbox = await kim.get("/inbox")
    (package,) = report_ids(inbox)
    assert IDENTIFYING in text_of(await kim.open_report(package))  # what Sue saw is what left
