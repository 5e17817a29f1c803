"""Passing a report to another force: re-sealed keys, the sender's record, contact consent, conflicts."""

from __future__ import annotations

import re

import aiohttp
import pytest

from dropbox_server.custody import keyring
from dropbox_server.custody.unit_admin import retire_unit
from dropbox_server.forces import HUB_ID
from dropbox_server.reports import casework
from dropbox_server.reports.content import ContactDetails
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import Investigator, report_ids, text_of
from tests.journeys import Reporter


async def _unlocked(ws: Workspace, who: Investigator) -> keyring.UnlockedStaff:
    row = await staff_store.get_staff_by_username(ws.services.db, who.username)
    assert row is not None
    return await keyring.unlock_staff(ws.services.db, row, keyring.unwrap_staff_key(row, who.password))


async def _transfer(who: Investigator, report_id: str, to: str, reason: str, override: bool = False):  # type: ignore[no-untyped-def]
    page = await who.open_report(report_id)
    seen = re.search(r'id="current-outcome" data-outcome="([a-z-]+)"', page).group(1)  # type: ignore[union-attr]
    data = {"to_unit": to, "transfer_reason": reason, "seen_outcome": seen}
    if override:
        data["conflict_override"] = "yes"
    status, shown = await who.post(f"/reports/{report_id}/transfer", data, csrf_page=page)
    if status != 200:
        return status, shown
    # The first press only asks for confirmation; nothing has moved yet.
    assert f'<input type="hidden" name="to_unit" value="{to}">' in shown
    return await who.post(f"/reports/{report_id}/transfer", {**data, "confirmed": "yes"}, csrf_page=shown)


async def test_transfer_moves_the_report_and_leaves_the_sender_a_record(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    receipt, report_id = await submit(workspace, what_happened="It happened in Essex really.")
    alice = await workspace.signed_in("alice", "kent-police")
    bob = await workspace.signed_in("bob", "essex-police")
    await alice.act(report_id, "reply", {"reply": "Thanks, we are looking."})
    await alice.act(
        report_id, "outcome", {"outcome": "assessing", "reason": "first look", "seen_outcome": "new"}
    )

    status, where = await _transfer(alice, report_id, "essex-police", "Offence was in Essex")
    assert (status, where) == (303, f"/passed-on?done={report_id}")

    # The receiving unit sees it as new and unread, and can read all of it.
    _, inbox = await bob.get("/inbox")
    assert report_ids(inbox) == [report_id]
    assert f'<tr class="unread" data-report="{report_id}">' in inbox
    page = text_of(await bob.open_report(report_id))
    for shown in (
        "It happened in Essex really.",
        "Thanks, we are looking.",
        "first look",
        "Offence was in Essex",
    ):
        assert shown in page
    assert 'data-outcome="new"' in await bob.open_report(report_id)

    # The sender: gone from the inbox, a 404 on the page, a record with the reason.
    assert report_ids((await alice.get("/inbox"))[1]) == []
    assert (await alice.get(f"/reports/{report_id}"))[0] == 404
    _, record = await alice.get("/passed-on")
    record_text = text_of(record)
    assert report_id in record_text and "Offence was in Essex" in record_text
    assert "Essex Police: Professional Standards" in record_text
    assert "It happened in Essex really." not in record_text

    # And with the sender's keys, nothing of the report opens any more.
    report = await report_store.get_report(workspace.services.db, report_id)
    assert report is not None
    with pytest.raises(casework.NotReadable):
        await casework.open_report(
            workspace.services.db, report, (await _unlocked(workspace, alice)).unit_keys
        )
    opened = await casework.open_report(
        workspace.services.db, report, (await _unlocked(workspace, bob)).unit_keys
    )
    assert opened.content.what_happened == "It happened in Essex really."

    # The reporter still reads the first unit's reply, and the new unit's.
    await bob.act(report_id, "reply", {"reply": "Essex here, we have your report."})
    thread = await Reporter(http, workspace.reporter_url).open_thread(receipt)
    assert "Thanks, we are looking." in thread and "Essex here" in thread


@pytest.mark.parametrize(("scope", "travels"), [("investigating_force", True), ("unit", False)])
async def test_contact_details_travel_only_with_consent(
    workspace: Workspace, scope: str, travels: bool
) -> None:
    _, report_id = await submit(workspace, contact=ContactDetails("ring 01632 960001", "weekdays", scope))
    alice = await workspace.signed_in("alice", "kent-police")
    bob = await workspace.signed_in("bob", "essex-police")
    assert "ring 01632 960001" in await alice.open_report(report_id)
    assert (await _transfer(alice, report_id, "essex-police", "move"))[0] == 303

    page = text_of(await bob.open_report(report_id))
    assert ("ring 01632 960001" in page) is travels
    assert ("Confidential: the reporter agreed to be contacted" in page) is travels
    if not travels:
        assert "were not passed on" in page
    db = workspace.services.db
    report = await report_store.get_report(db, report_id)
    assert report is not None
    # Nobody is left holding them: the contact item and its grant are gone when they do not travel.
    assert bool(await report_store.items(db, report.seq, ("contact",))) is travels
    assert bool(await report_store.report_grants(db, report.seq, "contact")) is travels
    _, record = await alice.get("/passed-on")
    assert ("Passed on (the reporter agreed)" in record) is travels


async def test_conflicted_force_needs_an_explicit_override(workspace: Workspace) -> None:
    _, report_id = await submit(workspace, force="kent-police", conflict=True, what_happened="PSD officer")
    hana = await workspace.signed_in("hana", HUB_ID)
    alice = await workspace.signed_in("alice", "kent-police")
    assert report_ids((await alice.get("/inbox"))[1]) == []
    assert report_ids((await hana.get("/inbox"))[1]) == [report_id]
    page = text_of(await hana.open_report(report_id))
    assert "Conflict of interest" in page and "Kent Police" in page

    status, page = await _transfer(hana, report_id, "kent-police", "Back to force")
    assert status == 400 and "tick the override" in page
    assert report_ids((await alice.get("/inbox"))[1]) == []
    status, _ = await _transfer(hana, report_id, "kent-police", "PSD lead is on leave; ACU head agreed", True)
    assert status == 303
    assert report_ids((await alice.get("/inbox"))[1]) == [report_id]
    _, record = await hana.get("/passed-on")
    assert "Conflict override" in record


async def test_conflicted_report_may_go_to_another_force_without_override(workspace: Workspace) -> None:
    _, report_id = await submit(workspace, force="kent-police", conflict=True)
    hana = await workspace.signed_in("hana", HUB_ID)
    assert (await _transfer(hana, report_id, "sussex-police", "Neighbouring force"))[0] == 303


async def test_bad_destinations_are_refused(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    for to in ("kent-police", "no-such-unit"):
        status, page = await _transfer(alice, report_id, to, "x")
        assert status == 400 and "Choose another unit" in page
    status, page = await _transfer(alice, report_id, "essex-police", "   ")
    assert status == 400 and "Give a short reason." in page


async def test_passing_on_asks_for_confirmation_before_anything_moves(workspace: Workspace) -> None:
    """The list starts on "Choose a force…"; the first press names the unit and what travels."""
    _, report_id = await submit(
        workspace, contact=ContactDetails("ring 01632 960001", "weekdays", "investigating_force")
    )
    alice = await workspace.signed_in("alice", "kent-police")
    bob = await workspace.signed_in("bob", "essex-police")
    await alice.act(report_id, "reply", {"reply": "Thanks, we are looking."})
    page = await alice.open_report(report_id)
    chosen = re.findall(
        r'<option value="([^"]*)" selected>', page.split('id="to-unit"')[1].split("</select>")[0]
    )
    assert chosen == [""], "the pass-on list must not preselect a unit"

    # Nothing chosen: the form comes back with its problem, nothing moved.
    status, shown = await alice.post(
        f"/reports/{report_id}/transfer",
        {"to_unit": "", "transfer_reason": "Essex", "seen_outcome": "new"},
        csrf_page=page,
    )
    assert status == 400 and "Choose another unit" in shown

    data = {"to_unit": "essex-police", "transfer_reason": "Offence was in Essex", "seen_outcome": "new"}
    status, shown = await alice.post(f"/reports/{report_id}/transfer", data, csrf_page=page)
    assert status == 200
    text = text_of(shown)
    assert (
        "Pass report " + report_id + " to Essex Police: Professional Standards and Anti-Corruption?" in text
    )
    travels = text_of(shown.split('id="what-travels"')[1].split("</ul>")[0])
    assert "The thread: 1 message" in travels and "0 files" in travels
    assert "contact details (they agreed" in travels and "Offence was in Essex" in travels
    # Still Kent's until confirmed.
    assert report_ids((await alice.get("/inbox"))[1]) == [report_id]
    assert report_ids((await bob.get("/inbox"))[1]) == []

    status, where = await alice.post(
        f"/reports/{report_id}/transfer", {**data, "confirmed": "yes"}, csrf_page=shown
    )
    assert (status, where) == (303, f"/passed-on?done={report_id}")
    assert report_ids((await bob.get("/inbox"))[1]) == [report_id]


async def test_a_retired_unit_is_neither_offered_nor_accepted(workspace: Workspace) -> None:
    """Security staff retired Essex: the pass-on list leaves it out, and a hand-made form to it
    is refused with nothing moved (issue 15: retired units were still selectable)."""
    _, report_id = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    await retire_unit(workspace.services.db, "essex-police", "2026-12-03")
    page = await alice.open_report(report_id)
    offered = re.findall(r'<option value="([^"]+)"', page.split('id="to-unit"')[1].split("</select>")[0])
    assert offered and "essex-police" not in offered and "kent-police" not in offered
    assert "desk" not in offered
    data = {"to_unit": "essex-police", "transfer_reason": "Essex", "seen_outcome": "new", "confirmed": "yes"}
    status, _ = await alice.post(f"/reports/{report_id}/transfer", data, csrf_page=page)
    assert status == 400
    assert report_ids((await alice.get("/inbox"))[1]) == [report_id]
