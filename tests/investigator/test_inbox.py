"""The inbox over HTTP: unit isolation, keyset pages, filters with counts, unread markers."""

from __future__ import annotations

import re
import sqlite3

from dropbox_server.reports.content import ContactDetails
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import inbox_order, report_ids, text_of
from tests.journeys import Reporter


async def test_units_see_only_their_own_reports(workspace: Workspace) -> None:
    kent = [(await submit(workspace, force="kent-police"))[1] for _ in range(3)]
    essex = [(await submit(workspace, force="essex-police"))[1] for _ in range(2)]
    alice = await workspace.signed_in("alice", "kent-police")
    bob = await workspace.signed_in("bob", "essex-police")
    db = workspace.services.db
    assert report_ids((await alice.get("/inbox"))[1]) == await inbox_order(db, "kent-police")
    assert report_ids((await bob.get("/inbox"))[1]) == await inbox_order(db, "essex-police")
    assert sorted(await inbox_order(db, "kent-police")) == sorted(kent)
    for report_id in essex:
        status, page = await alice.get(f"/reports/{report_id}")
        assert status == 404 and "An officer took money" not in page
    # The same answer for an id that does not exist at all.
    assert (await alice.get("/reports/abcdefghijklmnop"))[0] == 404
    # A cursor from another unit is ignored rather than used to page that unit.
    assert report_ids((await alice.get(f"/inbox?before={essex[0]}"))[1]) == await inbox_order(db, "kent-police")


async def test_unit_id_alone_does_not_open_a_report(workspace: Workspace) -> None:
    """Someone who rewrites a report's unit in the database still cannot make Kent read Essex's."""
    _, essex_report = await submit(workspace, force="essex-police", what_happened="Essex only secret")
    alice = await workspace.signed_in("alice", "kent-police")
    with sqlite3.connect(workspace.settings.database_path) as raw:
        raw.execute("UPDATE reports SET unit_id = 'kent-police' WHERE id = ?", (essex_report,))
    _, page = await alice.get("/inbox")
    assert essex_report in report_ids(page) and "Essex only secret" not in page
    status, page = await alice.get(f"/reports/{essex_report}")
    assert status == 404 and "Essex only secret" not in page


async def test_pages_run_newest_first_with_keyset_links(workspace: Workspace) -> None:
    """Newest day first; within a day (all 60 here) in the random row key's order, which keyset
    paging must keep exactly, both ways."""
    for i in range(60):
        await submit(workspace, what_happened=f"report number {i}")
    newest_first = await inbox_order(workspace.services.db, "kent-police")
    alice = await workspace.signed_in("alice", "kent-police")
    _, page1 = await alice.get("/inbox")
    assert report_ids(page1) == newest_first[:25]
    assert "report number " in page1  # the rows shown are decrypted for their summaries
    assert "Newer reports" not in page1
    older = re.search(r'href="(/inbox\?before=[a-z0-9]+)"', page1).group(1)  # type: ignore[union-attr]
    _, page2 = await alice.get(older)
    assert report_ids(page2) == newest_first[25:50]
    older = re.search(r'href="(/inbox\?before=[a-z0-9]+)"', page2).group(1)  # type: ignore[union-attr]
    _, page3 = await alice.get(older)
    assert report_ids(page3) == newest_first[50:]
    assert "Older reports" not in page3
    newer = re.search(r'href="(/inbox\?after=[a-z0-9]+)"', page3).group(1)  # type: ignore[union-attr]
    _, back = await alice.get(newer)
    assert report_ids(back) == newest_first[25:50]
    newer = re.search(r'href="(/inbox\?after=[a-z0-9]+)"', back).group(1)  # type: ignore[union-attr]
    _, first = await alice.get(newer)
    assert report_ids(first) == newest_first[:25] and "Newer reports" not in first


def _option_count(page: str, select: str, value: str) -> int:
    block = re.search(rf'<select id="f-{select}".*?</select>', page, re.S).group(0)  # type: ignore[union-attr]
    label = re.search(rf'<option value="{value}"[^>]*>[^<]*\((\d+)\)</option>', block)
    assert label, (select, value)
    return int(label.group(1))


async def test_filters_and_counts(workspace: Workspace) -> None:
    corruption = [(await submit(workspace, conduct="corruption"))[1] for _ in range(3)]
    sexual = [(await submit(workspace, conduct="sexual-purpose"))[1] for _ in range(2)]
    phone = (await submit(workspace, conduct="corruption", channel="phone"))[1]
    alice = await workspace.signed_in("alice", "kent-police")
    await alice.act(sexual[0], "outcome", {"outcome": "assessing", "reason": "r", "seen_outcome": "new"})

    _, page = await alice.get("/inbox")
    assert "6 of 6 reports match" in text_of(page)
    assert _option_count(page, "conduct", "corruption") == 4
    assert _option_count(page, "conduct", "sexual-purpose") == 2
    assert _option_count(page, "channel", "phone") == 1
    assert _option_count(page, "outcome", "new") == 5
    assert _option_count(page, "outcome", "assessing") == 1

    _, page = await alice.get("/inbox?conduct=corruption")
    assert set(report_ids(page)) == {*corruption, phone}
    assert "4 of 6 reports match" in text_of(page)
    # Facets count with the *other* filters applied: within corruption, one is by phone.
    assert _option_count(page, "channel", "phone") == 1 and _option_count(page, "channel", "online") == 3
    _, page = await alice.get("/inbox?conduct=corruption&channel=phone")
    assert report_ids(page) == [phone]
    _, page = await alice.get("/inbox?outcome=assessing")
    assert report_ids(page) == [sexual[0]]
    # Unknown filter values are ignored, not an error.
    status, page = await alice.get("/inbox?outcome=bogus&conduct=%3Cscript%3E")
    assert status == 200 and len(report_ids(page)) == 6


def _unread(page: str) -> set[str]:
    return set(re.findall(r'<tr class="unread" data-report="([a-z0-9]+)">', page))


async def test_unread_markers_are_per_person_and_return_on_a_follow_up(workspace: Workspace, http) -> None:  # type: ignore[no-untyped-def]
    receipt, first = await submit(workspace, contact=ContactDetails("phone 0", "evenings", "unit"))
    _, second = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    carl = await workspace.signed_in("carl", "kent-police")
    assert _unread((await alice.get("/inbox"))[1]) == {first, second}
    await alice.open_report(first)
    assert _unread((await alice.get("/inbox"))[1]) == {second}
    assert _unread((await carl.get("/inbox"))[1]) == {first, second}
    reporter = Reporter(http, workspace.reporter_url)
    await reporter.open_thread(receipt)
    status, _ = await reporter.follow_up("One more thing.")
    assert status == 200
    assert _unread((await alice.get("/inbox"))[1]) == {first, second}


async def test_counts_follow_outcome_changes_and_transfers(workspace: Workspace) -> None:
    ids = [(await submit(workspace, conduct="discrimination"))[1] for _ in range(3)]
    alice = await workspace.signed_in("alice", "kent-police")
    bob = await workspace.signed_in("bob", "essex-police")
    await alice.act(ids[0], "outcome", {"outcome": "assessing", "reason": "r", "seen_outcome": "new"})
    page = await alice.open_report(ids[1])
    await alice.post(
        f"/reports/{ids[1]}/transfer",
        {"to_unit": "essex-police", "transfer_reason": "r", "seen_outcome": "new", "confirmed": "yes"},
        csrf_page=page,
    )
    _, page = await alice.get("/inbox")
    assert "2 of 2 reports match" in text_of(page)
    assert _option_count(page, "outcome", "new") == 1 and _option_count(page, "outcome", "assessing") == 1
    assert _option_count(page, "conduct", "discrimination") == 2
    _, page = await bob.get("/inbox")
    assert "1 of 1 reports match" in text_of(page)
    assert (
        _option_count(page, "outcome", "new") == 1 and _option_count(page, "conduct", "discrimination") == 1
    )
    # The running counts agree with a full count straight from the reports table.
    with sqlite3.connect(workspace.settings.database_path) as raw:
        direct = raw.execute(
            "SELECT unit_id, outcome, conduct, channel, count(*) FROM reports GROUP BY 1, 2, 3, 4"
        ).fetchall()
        kept = raw.execute("SELECT * FROM report_facets WHERE reports > 0").fetchall()
    assert sorted(direct) == sorted(kept)
