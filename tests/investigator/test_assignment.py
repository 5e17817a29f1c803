"""Supervisors assign reports to members of their unit; the inbox filters and counts by assignee."""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import quote

import pytest

from dropbox_server.clock import today
from dropbox_server.custody.revocation import remove_staff
from dropbox_server.custody.staff_changes import move_staff
from dropbox_server.reports.reporter_access import open_with_receipt, withdraw_report
from dropbox_server.store import audit as audit_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from tests.conftest import unlock_custodian
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import Investigator, inbox_order, report_ids, text_of


def _seen(page: str) -> str:
    found = re.search(r'id="current-assignee" data-assignee="([0-9]*)"', page)
    assert found is not None, page[:2000]
    return found.group(1)


async def _id(ws: Workspace, who: Investigator) -> str:
    row = await staff_store.get_staff_by_username(ws.services.db, who.username)
    assert row is not None
    return str(row.id)


async def _assign(boss: Investigator, report_id: str, to: str, seen: str | None = None) -> tuple[int, str]:
    page = await boss.open_report(report_id)
    data = {"assignee": to, "seen_assignee": _seen(page) if seen is None else seen}
    return await boss.post(f"/reports/{report_id}/assign", data, csrf_page=page)


def _assigned_option(page: str, value: str) -> int:
    found = re.search(rf'<option value="{value}"(?: selected)?>[^<]*\((\d+)\)</option>', page)
    assert found is not None, value
    return int(found.group(1))


async def _assignees(ws: Workspace) -> dict[str, int]:
    rows = await ws.services.db.fetch_all(
        "SELECT r.id, a.staff_id FROM report_assignments a JOIN reports r ON r.seq = a.report_seq"
    )
    return {str(r[0]): int(r[1]) for r in rows}


async def test_supervisor_assigns_and_the_assignee_sees_it_as_theirs(workspace: Workspace) -> None:
    reports = [(await submit(workspace, what_happened=f"report {n}"))[1] for n in range(4)]
    boss = await workspace.signed_in("sue", "kent-police", role="supervisor")
    alice = await workspace.signed_in("alice", "kent-police")
    bob = await workspace.signed_in("bob", "kent-police")
    alice_id, bob_id = await _id(workspace, alice), await _id(workspace, bob)

    assert await _assign(boss, reports[0], alice_id) == (303, f"/reports/{reports[0]}?done=assign#assign")
    assert (await _assign(boss, reports[1], alice_id))[0] == 303
    assert (await _assign(boss, reports[2], bob_id))[0] == 303

    page = await alice.open_report(reports[0])
    assert _seen(page) == alice_id
    assert "Assigned to You (by sue," in " ".join(text_of(page).split())
    assert 'action="/reports/' + reports[0] + '/assign"' not in page  # only supervisors get the form

    _, inbox = await alice.get("/inbox?assigned=me")
    assert sorted(report_ids(inbox)) == sorted([reports[1], reports[0]])  # one day: no order
    assert "2 of 4 reports match" in text_of(inbox)
    assert _assigned_option(inbox, "me") == 2
    assert _assigned_option(inbox, "none") == 1
    assert _assigned_option(inbox, bob_id) == 1
    _, inbox = await alice.get(f"/inbox?assigned={bob_id}")
    assert report_ids(inbox) == [reports[2]]
    _, inbox = await alice.get("/inbox?assigned=none")
    assert report_ids(inbox) == [reports[3]]
    _, inbox = await alice.get("/inbox")
    assert len(report_ids(inbox)) == 4
    assert f'<td data-assignee="{alice_id}">' in inbox and f'<td data-assignee="{bob_id}">bob</td>' in inbox

    # Reassigning and unassigning are the same form; each change is one audit entry.
    assert (await _assign(boss, reports[0], bob_id))[0] == 303
    assert (await _assign(boss, reports[1], ""))[0] == 303
    assert await _assignees(workspace) == {reports[0]: int(bob_id), reports[2]: int(bob_id)}
    _, inbox = await boss.get("/inbox?assigned=none")
    assert set(report_ids(inbox)) == {reports[1], reports[3]}
    assert _assigned_option(inbox, bob_id) == 2 and _assigned_option(inbox, "none") == 2

    entries = [r.entry for r in await audit_store.entries(workspace.services.db) if r.entry.action == "assigned"]
    assert [(e.username, e.report_id, e.detail) for e in entries] == [
        ("sue", reports[0], "to=alice"),
        ("sue", reports[1], "to=alice"),
        ("sue", reports[2], "to=bob"),
        ("sue", reports[0], "to=bob"),
        ("sue", reports[1], "unassigned"),
    ]
    # Choosing the assignee it already has changes nothing and logs nothing.
    assert (await _assign(boss, reports[0], bob_id))[0] == 303
    assert len([r for r in await audit_store.entries(workspace.services.db) if r.entry.action == "assigned"]) == 5
    # Invariant 2: an assignment, like everything tied to a report, keeps the day only.
    columns = await workspace.services.db.fetch_all("PRAGMA table_info(report_assignments)")
    assert [c[1] for c in columns] == ["report_seq", "unit_id", "staff_id", "assigned_by", "day"]
    days = await workspace.services.db.fetch_all("SELECT day FROM report_assignments")
    assert days and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(d[0])) for d in days)


async def test_only_supervisors_assign(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    page = await alice.open_report(report_id)
    status, body = await alice.post(
        f"/reports/{report_id}/assign", {"assignee": await _id(workspace, alice), "seen_assignee": ""}, csrf_page=page
    )
    assert status == 403 and "Traceback" not in body
    assert await _assignees(workspace) == {}


async def test_assignee_must_hold_the_units_keys(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    boss = await workspace.signed_in("sue", "kent-police", role="supervisor")
    essex = await workspace.enrol("eve", "essex-police")
    caller = await workspace.enrol("cal", "kent-police", role="call_handler")
    page = await boss.open_report(report_id)
    assert ">cal<" not in page and ">eve<" not in page  # neither is offered
    for to in (await _id(workspace, essex), await _id(workspace, caller), "999999", "bob", "-1"):
        status, body = await _assign(boss, report_id, to)
        assert status == 400, to
        assert "Choose a member of your unit who handles reports." in text_of(body)
    assert await _assignees(workspace) == {}

    # The schema refuses such a row whatever code path writes it.
    report = await report_store.get_report(workspace.services.db, report_id)
    assert report is not None
    with pytest.raises(sqlite3.IntegrityError):
        async with workspace.services.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO report_assignments (report_seq, unit_id, staff_id, day) VALUES (?, ?, ?, ?)",
                (report.seq, "kent-police", int(await _id(workspace, essex)), today()),
            )


async def test_two_supervisors_do_not_overwrite_each_other(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    sue = await workspace.signed_in("sue", "kent-police", role="supervisor")
    sam = await workspace.signed_in("sam", "kent-police", role="supervisor")
    alice = await workspace.signed_in("alice", "kent-police")
    stale = await sam.open_report(report_id)
    assert (await _assign(sue, report_id, await _id(workspace, alice)))[0] == 303
    status, body = await sam.post(
        f"/reports/{report_id}/assign", {"assignee": await _id(workspace, sam), "seen_assignee": ""}, csrf_page=stale
    )
    assert status == 409
    assert "Someone else changed who this report is assigned to" in text_of(body)
    assert await _assignees(workspace) == {report_id: int(await _id(workspace, alice))}


async def test_a_passed_on_report_arrives_unassigned(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    sue = await workspace.signed_in("sue", "kent-police", role="supervisor")
    alice = await workspace.signed_in("alice", "kent-police")
    bob = await workspace.signed_in("bob", "essex-police")
    await _assign(sue, report_id, await _id(workspace, alice))
    page = await alice.open_report(report_id)
    status, _ = await alice.post(
        f"/reports/{report_id}/transfer",
        {"to_unit": "essex-police", "transfer_reason": "Essex's case", "seen_outcome": "new", "confirmed": "yes"},
        csrf_page=page,
    )
    assert status == 303
    assert await _assignees(workspace) == {}
    assert _seen(await bob.open_report(report_id)) == ""
    _, inbox = await alice.get("/inbox")
    assert _assigned_option(inbox, "me") == 0


async def test_removing_or_moving_a_member_unassigns_their_reports(workspace: Workspace) -> None:
    first, second = (await submit(workspace))[1], (await submit(workspace))[1]
    sue = await workspace.signed_in("sue", "kent-police", role="supervisor")
    alice = await workspace.signed_in("alice", "kent-police")
    bob = await workspace.signed_in("bob", "kent-police")
    await _assign(sue, first, await _id(workspace, alice))
    await _assign(sue, second, await _id(workspace, bob))

    await remove_staff(workspace.services.db, "alice", today())
    custodian = await unlock_custodian(workspace.services.db)
    await move_staff(workspace.services.db, "bob", "essex-police", custodian, today())
    assert await _assignees(workspace) == {}
    _, inbox = await sue.get("/inbox")
    assert _assigned_option(inbox, "none") == 2
    caseloads = await workspace.services.db.fetch_all("SELECT * FROM caseloads")
    assert caseloads == []


async def test_facet_counts_follow_the_assignment_filter(workspace: Workspace) -> None:
    kinds = ("corruption", "corruption", "sexual-purpose", "discrimination")
    reports = [(await submit(workspace, conduct=kind))[1] for kind in kinds]
    sue = await workspace.signed_in("sue", "kent-police", role="supervisor")
    sue_id = await _id(workspace, sue)
    await _assign(sue, reports[0], sue_id)
    await _assign(sue, reports[2], sue_id)

    _, mine = await sue.get("/inbox?assigned=me")
    assert "2 of 4 reports match" in text_of(mine)
    assert re.search(r'<option value="corruption">[^<]*\(1\)', mine)
    assert re.search(r'<option value="sexual-purpose">[^<]*\(1\)', mine)
    assert re.search(r'<option value="discrimination">[^<]*\(0\)', mine)
    _, nobody = await sue.get("/inbox?assigned=none&conduct=corruption")
    assert report_ids(nobody) == [reports[1]]
    assert "1 of 4 reports match" in text_of(nobody)
    assert re.search(r'<option value="discrimination">[^<]*\(1\)', nobody)
    # An unknown assignee is ignored, not an error.
    status, page = await sue.get("/inbox?assigned=12345")
    assert status == 200 and len(report_ids(page)) == 4


async def test_removing_the_supervisor_who_assigned_keeps_the_assignment(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    sue = await workspace.signed_in("sue", "kent-police", role="supervisor")
    sam = await workspace.signed_in("sam", "kent-police", role="supervisor")
    alice = await workspace.signed_in("alice", "kent-police")
    await _assign(sue, report_id, await _id(workspace, alice))
    await remove_staff(workspace.services.db, "sue", today())
    rows = await workspace.services.db.fetch_all("SELECT assigned_by FROM report_assignments")
    assert [tuple(r) for r in rows] == [(None,)]
    page = text_of(await alice.open_report(report_id))
    assert "You (by a former colleague," in " ".join(page.split())
    # The remaining supervisor can still reassign it.
    assert (await _assign(sam, report_id, await _id(workspace, sam)))[0] == 303


async def test_a_withdrawn_report_leaves_no_assignment_or_caseload(workspace: Workspace) -> None:
    receipt, report_id = await submit(workspace)
    sue = await workspace.signed_in("sue", "kent-police", role="supervisor")
    await _assign(sue, report_id, await _id(workspace, sue))
    access = await open_with_receipt(workspace.services.db, workspace.services.receipts, receipt)
    assert access is not None
    assert await withdraw_report(workspace.services.db, workspace.services.files, access, today()) == "withdrawn"
    assert await _assignees(workspace) == {}
    assert await workspace.services.db.fetch_all("SELECT * FROM caseloads") == []


async def test_another_units_supervisor_gets_not_found(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    kent = await workspace.signed_in("alice", "kent-police")
    essex_boss = await workspace.signed_in("eric", "essex-police", role="supervisor")
    _, inbox = await essex_boss.get("/inbox")
    status, body = await essex_boss.post(
        f"/reports/{report_id}/assign", {"assignee": await _id(workspace, kent), "seen_assignee": ""}, csrf_page=inbox
    )
    assert status == 404 and "Traceback" not in body
    assert await _assignees(workspace) == {}
    assert [r for r in await audit_store.entries(workspace.services.db) if r.entry.action == "assigned"] == []


async def test_odd_ids_are_refused_or_ignored_never_a_server_error(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    sue = await workspace.signed_in("sue", "kent-police", role="supervisor")
    for value in ("²", "١", "①", "1" * 13, " 1", "0x1"):
        status, page = await sue.get(f"/inbox?assigned={quote(value)}")
        assert status == 200 and report_ids(page) == [report_id], value
        assert (await _assign(sue, report_id, value))[0] == 400, value
        assert (await _assign(sue, report_id, await _id(workspace, sue), seen=value))[0] == 409, value
    assert await _assignees(workspace) == {}


async def test_paging_keeps_the_assignment_filter_and_ones_own_id_means_me(workspace: Workspace) -> None:
    for n in range(30):
        await submit(workspace, what_happened=f"case {n}")
    sue = await workspace.signed_in("sue", "kent-police", role="supervisor")
    sue_id = await _id(workspace, sue)
    mine = (await inbox_order(workspace.services.db, "kent-police"))[:27]  # as the inbox lists them
    async with workspace.services.db.transaction() as tx:
        for report_id in mine:
            await tx.execute(
                "INSERT INTO report_assignments (report_seq, unit_id, staff_id, day) "
                "SELECT seq, unit_id, ?, ? FROM reports WHERE id = ?",
                (int(sue_id), today(), report_id),
            )
    _, first = await sue.get(f"/inbox?assigned={sue_id}")
    assert '<option value="me" selected>' in first
    assert report_ids(first) == mine[:25]
    older = re.search(r'href="(/inbox\?before=[a-z0-9]+&amp;assigned=me)" rel="next"', first)
    assert older is not None, first[-3000:]
    _, second = await sue.get(older.group(1).replace("&amp;", "&"))
    assert report_ids(second) == mine[25:]
    newer = re.search(r'href="(/inbox\?after=[a-z0-9]+&amp;assigned=me)" rel="prev"', second)
    assert newer is not None
    _, back = await sue.get(newer.group(1).replace("&amp;", "&"))
    assert report_ids(back) == mine[:25]


async def test_unassigned_counts_when_most_reports_are_assigned(workspace: Workspace) -> None:
    kinds = ("corruption", "corruption", "sexual-purpose", "discrimination")
    reports = [(await submit(workspace, conduct=kind))[1] for kind in kinds]
    sue = await workspace.signed_in("sue", "kent-police", role="supervisor")
    for report_id in reports[1:]:
        await _assign(sue, report_id, await _id(workspace, sue))
    _, nobody = await sue.get("/inbox?assigned=none")
    assert report_ids(nobody) == [reports[0]]
    assert "1 of 4 reports match" in text_of(nobody)
    assert re.search(r'<option value="corruption">[^<]*\(1\)', nobody)
    assert re.search(r'<option value="sexual-purpose">[^<]*\(0\)', nobody)
    _, none_sexual = await sue.get("/inbox?assigned=none&conduct=sexual-purpose")
    assert report_ids(none_sexual) == [] and "0 of 4 reports match" in text_of(none_sexual)
