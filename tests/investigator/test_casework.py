"""The report view, replies through the receipt, internal notes and the outcome workflow."""

from __future__ import annotations

import aiohttp

from dropbox_server.reports.content import ContactDetails
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import text_of
from tests.journeys import Reporter


async def test_every_field_is_shown_and_contact_details_only_with_consent(workspace: Workspace) -> None:
    _, with_contact = await submit(
        workspace,
        subject_name="PC Example",
        subject_role="Sergeant",
        collar_number="KX123",
        station="Dover",
        when="last March",
        where="the custody suite",
        anything_else="He has done it before.",
        contact=ContactDetails("call 07700 900123", "after 6pm", "unit"),
    )
    _, anonymous = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    page = text_of(await alice.open_report(with_contact))
    for shown in (
        "PC Example",
        "Sergeant",
        "KX123",
        "Dover",
        "last March",
        "the custody suite",
        "He has done it before.",
        "An officer took money",
        "Kent Police",
    ):
        assert shown in page
    assert "Confidential: the reporter agreed to be contacted" in page
    assert "call 07700 900123" in page and "after 6pm" in page
    page = text_of(await alice.open_report(anonymous))
    assert "Confidential" not in page and "chose to stay anonymous" in page


async def test_reply_reaches_the_reporter_and_notes_do_not(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    receipt, report_id = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    status, where = await alice.act(report_id, "reply", {"reply": "Can you tell us the date?"})
    assert (status, where) == (303, f"/reports/{report_id}?done=reply#reply")
    status, _ = await alice.act(report_id, "note", {"note": "Check the duty roster for March."})
    assert status == 303

    reporter = Reporter(http, workspace.reporter_url)
    thread = await reporter.open_thread(receipt)
    assert "Can you tell us the date?" in thread
    assert "duty roster" not in thread
    await reporter.follow_up("It was the 3rd of March.")

    page = await alice.open_report(report_id)
    assert '<li class="reply"><h3>Reply to the reporter by alice' in page
    assert '<li class="note"><h3>Internal note by alice' in page
    assert '<li class="from-reporter"><h3>The reporter\'s message 2,' in page
    order = [page.index(t) for t in ("Can you tell us the date?", "duty roster", "3rd of March")]
    assert order == sorted(order)


async def test_empty_reply_and_bad_token_keep_the_text(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    status, page = await alice.act(report_id, "reply", {"reply": "   "})
    assert status == 400 and "Write something before sending." in page
    status, page = await alice.post(
        f"/reports/{report_id}/reply", {"reply": "kept text", "csrf_token": "1.2.3"}
    )
    assert status == 403 and "kept text" in page and "form had expired" in page
    page = text_of(await alice.open_report(report_id))
    assert "No messages yet." in page


async def _outcome(alice, report_id: str, outcome: str, reason: str, seen: str):  # type: ignore[no-untyped-def]
    return await alice.act(report_id, "outcome", {"outcome": outcome, "reason": reason, "seen_outcome": seen})


async def test_outcome_workflow_and_the_reporters_status(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    receipt, report_id = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    reporter = Reporter(http, workspace.reporter_url)
    assert "waiting to be read" in await reporter.open_thread(receipt)

    # New reports must be assessed first; a reason is always needed.
    assert (await _outcome(alice, report_id, "investigation", "x", "new"))[0] == 400
    status, page = await _outcome(alice, report_id, "assessing", "  ", "new")
    assert status == 400 and "Give a short reason." in page
    assert (await _outcome(alice, report_id, "assessing", "Triage by DS Lee", "new"))[0] == 303
    assert "being assessed by the specialist unit" in await reporter.open_thread(receipt)

    # Someone looking at an old copy cannot overwrite the change.
    status, page = await _outcome(alice, report_id, "assessing", "stale", "new")
    assert status == 409 and "Someone else changed this report" in page
    # 'transferred' is not an outcome one can pick; transfers are their own action.
    assert (await _outcome(alice, report_id, "transferred", "x", "assessing"))[0] == 400

    assert (await _outcome(alice, report_id, "investigation", "Enough to investigate", "assessing"))[0] == 303
    assert "led to an investigation" in await reporter.open_thread(receipt)

    # Reopening a final outcome goes back to assessing, with a reason.
    assert (await _outcome(alice, report_id, "no-further-action", "x", "investigation"))[0] == 400
    assert (await _outcome(alice, report_id, "assessing", "New evidence arrived", "investigation"))[0] == 303
    assert (await _outcome(alice, report_id, "intelligence", "Record for later", "assessing"))[0] == 303
    assert "recorded and will be used" in await reporter.open_thread(receipt)

    page = text_of(await alice.open_report(report_id))
    for reason in ("Triage by DS Lee", "Enough to investigate", "New evidence arrived", "Record for later"):
        assert reason in page
    assert "Investigation opened → Being assessed" in page
