"""The desk between reporter and force, through both sites over HTTP (issue 17's journey).

A report names Kent Police with a distinctive marker in every field, its contact details
and a file. Kent's investigator sees no page holding any marker until a package is
approved, and afterwards only the package's text; the analyst who drafted cannot approve;
a supervisor approves; Kent asks a question through the desk; the reporter sees it with the
receipt and answers; the desk updates the package under the same two-person rule; Kent
records an outcome; the reporter only ever reads "received", "passed to the police", "closed".
"""

from __future__ import annotations

import aiohttp

from tests.desk.flow import CHECKLIST, draft_action, draft_package, draft_update
from tests.investigator.conftest import Workspace
from tests.investigator.driver import Investigator, report_ids, text_of
from tests.journeys import Reporter

MARKERS = {
    "subject_name": "Zqname Markerson",
    "subject_role": "Zqrole Inspector",
    "collar_number": "ZQ4417",
    "station": "Zqstation Lane",
    "when": "Zqwhen the fourth Tuesday",
    "where": "Zqwhere car park",
    "what_happened": "Zqwhat he came to my flat after I reported a burglary",
    "anything_else": "Zqelse my neighbour saw it",
    "contact_how": "Zqhow 07700 900417",
    "contact_when": "Zqsafe after nine",
}
FILE_NAME = "Zqfile-photo.txt"
FILE_BODY = b"Zqfilebody the original evidence"
FOLLOW_UP = "Zqfollow it was in the spring"
ALL_MARKERS = (*MARKERS.values(), FILE_NAME, FILE_BODY.decode(), FOLLOW_UP)


def assert_no_marker(page: str) -> None:
    text = text_of(page)
    for marker in ALL_MARKERS:
        assert marker not in text and marker not in page, marker


async def kent_sees_nothing(kent: Investigator, source_id: str) -> None:
    """Every page Kent can reach holds no marker, and the desk's report is not there."""
    for path in (
        "/inbox",
        "/passed-on",
        "/statistics",
        f"/reports/{source_id}",
        f"/reports/{source_id}/files",
    ):
        status, page = await kent.get(path)
        assert status in (200, 403, 404), (path, status)
        assert_no_marker(page)
    _, inbox = await kent.get("/inbox")
    assert source_id not in report_ids(inbox)


async def test_desk_journey(workspace: Workspace, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, workspace.reporter_url)
    _, form_page = await reporter.get("/report")
    assert "independent reporting desk" in text_of(form_page)
    receipt = await reporter.submit_ok(
        files=[(FILE_NAME, FILE_BODY)],
        force="kent-police",
        contact_choice="contact",
        contact_scope="investigating_force",
        **MARKERS,
    )
    kent = await workspace.signed_in("kim", "kent-police")
    ann = await workspace.signed_in("ann", "desk", "desk_analyst")
    sue = await workspace.signed_in("sue", "desk", "desk_supervisor")

    # The desk holds the report; its inbox and report page show the reporter's words.
    _, desk_inbox = await ann.get("/inbox")
    (source_id,) = report_ids(desk_inbox)
    page = text_of(await ann.open_report(source_id))
    assert MARKERS["what_happened"] in page and MARKERS["contact_how"] in page
    await kent_sees_nothing(kent, source_id)

    thread = text_of(await reporter.open_thread(receipt))
    assert "The independent desk has received your report." in thread

    # The analyst drafts; nothing reaches Kent, and the author cannot approve.
    draft_id = await draft_package(ann, source_id, "kent-police")
    await kent_sees_nothing(kent, source_id)
    for path in (f"/desk/packages/{draft_id}", "/desk/approvals", f"/desk/reports/{source_id}/packages/new"):
        status, page = await kent.get(path)  # the desk's pages refuse a force's investigator
        assert status == 403, (path, status)
        assert_no_marker(page)
    status, _ = await draft_action(ann, draft_id, "submit", {})
    assert status == 303
    status, page = await draft_action(ann, draft_id, "approve", CHECKLIST)
    assert status == 403 and "another desk member must approve" in text_of(page)
    await kent_sees_nothing(kent, source_id)

    # A supervisor approves, and only with the checklist ticked.
    status, _ = await draft_action(sue, draft_id, "approve", {"check_dates": "yes"})
    assert status == 400
    status, where = await draft_action(sue, draft_id, "approve", CHECKLIST)
    assert (status, where) == (303, f"/desk/packages/{draft_id}?done=approve")

    _, inbox = await kent.get("/inbox")
    (package_id,) = report_ids(inbox)
    assert package_id != source_id
    assert_no_marker(inbox)
    package_page = await kent.open_report(package_id)
    assert "A constable is said to have taken payment" in text_of(package_page)
    assert_no_marker(package_page)
    await kent_sees_nothing(kent, source_id)
    status, files_page = await kent.get(f"/reports/{package_id}/files")
    assert_no_marker(files_page)

    # The reporter learns only that information went to the police.
    thread = text_of(await reporter.open_thread(receipt))
    assert "Information from your report has been passed to the police." in thread

    # Kent asks the reporter a question, through the desk; Kent cannot reply directly.
    status, _ = await kent.act(package_id, "reply", {"reply": "Direct question"})
    assert status == 400
    status, _ = await kent.act(
        package_id, "ask-desk", {"kind": "question", "ask_desk": "Which month was it?"}
    )
    assert status == 303
    desk_page = await ann.open_report(source_id)
    assert "Which month was it?" in text_of(desk_page)
    status, _ = await ann.act(source_id, "reply", {"reply": "Can you tell us roughly which month it was?"})
    assert status == 303
    request_id = desk_page.split("/desk/requests/")[1].split('"')[0]
    status, _ = await ann.post(f"/desk/requests/{request_id}", {"settle": "relayed"}, csrf_page=desk_page)
    assert status == 303

    thread = text_of(await reporter.open_thread(receipt))
    assert "Can you tell us roughly which month it was?" in thread
    status, _ = await reporter.follow_up(FOLLOW_UP)
    assert status in (200, 303)
    assert FOLLOW_UP in text_of(await ann.open_report(source_id))

    # The desk turns the answer into an update, approved by a second person.
    update_id = await draft_update(
        ann, source_id, package_id, summary="Update: the payment is said to have been made in spring."
    )
    assert (await draft_action(ann, update_id, "submit", {}))[0] == 303
    assert (await draft_action(sue, update_id, "approve", CHECKLIST))[0] == 303
    package_page = await kent.open_report(package_id)
    assert "made in spring" in text_of(package_page)
    assert_no_marker(package_page)

    # Kent records an outcome; the reporter's status does not change or name it.
    _, page = await kent.get(f"/reports/{package_id}")
    for new in ("assessing", "investigation"):
        page = await kent.open_report(package_id)
        seen = page.split('data-outcome="')[1].split('"')[0]
        status, _ = await kent.act(
            package_id, "outcome", {"outcome": new, "reason": "Assessed.", "seen_outcome": seen}
        )
        assert status == 303
    thread = text_of(await reporter.open_thread(receipt))
    assert "passed to the police" in thread and "investigation" not in thread.lower()

    # A closing message goes to the desk, which closes the report.
    status, _ = await kent.act(package_id, "ask-desk", {"kind": "closing", "ask_desk": "Thank you."})
    assert status == 303
    page = await ann.open_report(source_id)
    assert "Thank you." in text_of(page)
    status, _ = await ann.post(f"/desk/reports/{source_id}/close", {}, csrf_page=page)
    assert status == 303
    thread = text_of(await reporter.open_thread(receipt))
    assert "Your report is closed." in thread and "investigation" not in thread.lower()
    for path in ("/inbox", f"/reports/{package_id}", "/passed-on"):
        assert_no_marker((await kent.get(path))[1])
