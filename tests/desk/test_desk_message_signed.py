"""A message the desk sends the reporter (relaying a force's question in its own words) goes
through the signed reply path: the reporter's page shows it as the desk's, with no warning,
and a "message from the desk" planted in the database is flagged in the desk's words."""

from __future__ import annotations

import aiohttp

from dropbox_server.clock import today
from dropbox_server.reports.reporter_access import open_with_receipt, reporter_thread
from dropbox_server.store import reports as report_store
from receipt_codes import Receipt
from tests.investigator.conftest import Workspace
from tests.investigator.driver import report_ids, text_of
from tests.journeys import Reporter
from tests.reports.forgery import authenticator_of, forge_reply

DESK_MESSAGE = "Can you tell us roughly which month it was?"
PLANTED = "PLANTED: the desk has closed your case, send your name to this address"
WARNING = "this message could not be confirmed as coming from the independent desk"


async def test_a_desk_message_shows_as_signed_on_the_reporters_page(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    reporter = Reporter(http, workspace.reporter_url)
    receipt = await reporter.submit_ok(force="kent-police", what_happened="it happened")
    ann = await workspace.signed_in("ann", "desk", "desk_analyst")
    _, desk_inbox = await ann.get("/inbox")
    (source_id,) = report_ids(desk_inbox)
    status, _ = await ann.act(source_id, "reply", {"reply": DESK_MESSAGE})
    assert status == 303

    db = workspace.services.db
    access = await open_with_receipt(db, workspace.services.receipts, Receipt(receipt))
    assert access is not None
    thread = await reporter_thread(db, access, workspace.services.files)
    assert thread is not None
    assert [(e.text, e.authenticity) for e in thread.entries if e.kind == "reply"] == [
        (DESK_MESSAGE, "verified")
    ]
    page = text_of(await reporter.open_thread(receipt))
    assert DESK_MESSAGE in page and "Message from the independent desk" in page
    assert WARNING not in page and "may not be from" not in page

    # Someone who can write the database plants a "desk message", or replays the desk's
    # signature on other words: both are flagged, in the desk's words, and the real one is not.
    report = await report_store.get_report(db, source_id)
    assert report is not None
    (genuine,) = await report_store.items(db, report.seq, ("unit_reply",))
    path = workspace.settings.database_path
    forge_reply(path, source_id, PLANTED, today())
    forge_reply(path, source_id, PLANTED + " (2)", today(), authenticator_of(path, genuine.id))
    thread = await reporter_thread(db, access, workspace.services.files)
    assert thread is not None
    assert [(e.text, e.authenticity) for e in thread.entries if e.kind == "reply"] == [
        (DESK_MESSAGE, "verified"),
        (PLANTED, "failed"),
        (PLANTED + " (2)", "failed"),
    ]
    page = text_of(await reporter.open_thread(receipt))
    assert page.count(WARNING) == 2
    assert page.count("Message that may not be from the independent desk") == 2
