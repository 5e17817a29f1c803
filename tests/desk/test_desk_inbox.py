"""The desk's inbox: filters by force named, state at the desk and days since the reporter
last wrote, with the count of matches; a force's inbox flags a package at risk."""

from __future__ import annotations

from dropbox_server.clock import days_before, today
from tests.desk.flow import CHECKLIST, draft_action, draft_package
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import report_ids, text_of


async def test_desk_filters_and_risk_first_seen(workspace: Workspace) -> None:
    _, kent = await submit(workspace, force="kent-police")
    _, essex = await submit(workspace, force="essex-police")
    _, unknown = await submit(workspace, force="unknown")
    db = workspace.services.db
    async with db.transaction() as tx:  # the Essex report came 40 days ago, with no word since
        await tx.execute("DELETE FROM items WHERE report_seq = (SELECT seq FROM reports WHERE id = ?)", (essex,))
        await tx.execute(
            "UPDATE reports SET reporter_last_day = NULL, created_day = ? WHERE id = ?",
            (days_before(40, today()), essex),
        )
        await tx.execute(  # the trigger keeps the day the reporter last wrote
            "INSERT INTO items (report_seq, kind, created_day, ciphertext, key_for_unit) "
            "VALUES ((SELECT seq FROM reports WHERE id = ?), 'report', ?, x'00', x'00')",
            (essex, days_before(40, today())),
        )
    ann = await workspace.signed_in("ann", "desk", "desk_analyst")
    sue = await workspace.signed_in("sue", "desk", "desk_supervisor")

    _, page = await ann.get("/inbox?named=kent-police")
    assert report_ids(page) == [kent] and "1 of 3 reports match." in text_of(page)
    _, page = await ann.get("/inbox?quiet=30")
    assert report_ids(page) == [essex]
    _, page = await ann.get("/inbox?state=new")
    assert sorted(report_ids(page)) == sorted([kent, essex, unknown])

    draft = await draft_package(ann, kent, "kent-police", risk="yes")
    _, page = await ann.get("/inbox?state=drafted")
    assert report_ids(page) == [kent]
    await draft_action(ann, draft, "submit", {})
    _, page = await ann.get("/inbox?state=awaiting")
    assert report_ids(page) == [kent]
    await draft_action(sue, draft, "approve", CHECKLIST)
    _, page = await ann.get("/inbox?state=disseminated")
    assert report_ids(page) == [kent] and "1 of 3 reports match." in text_of(page)

    kim = await workspace.signed_in("kim", "kent-police")
    _, inbox = await kim.get("/inbox")
    assert "Someone may be in danger now" in text_of(inbox)
