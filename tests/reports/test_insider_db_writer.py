"""A database writer (with, at most, one unit's real keys) cannot forge custody or a verified reply.

Regression tests of the insider review of issue 18 (S2, S4, S5, S6): each attack once
succeeded; the report's certificate (custody/certify.py) now covers where signing began, the
unsigned items before it, the unit holding the report and its custody history, and the
server no longer makes a new audit key at start.
"""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server import audit
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify, signing
from dropbox_server.datadir import DataDirError
from dropbox_server.reports import authenticity, casework
from dropbox_server.reports.reporter_access import open_with_receipt, reporter_follow_up, reporter_thread
from dropbox_server.services import open_services
from dropbox_server.store import audit as audit_store
from dropbox_server.store import reports as report_store
from dropbox_server.web.appkeys import Services
from receipt_codes import Receipt
from tests.investigator.conftest import Workspace, submit
from tests.investigator.test_transfer import _transfer, _unlocked
from tests.reports.forgery import forge_reply, item_position

FORGED = "FORGED: your case is closed, send your details to this address"


async def _replies(ws: Workspace, receipt: str) -> list[tuple[str, str]]:
    access = await open_with_receipt(ws.services.db, ws.services.receipts, Receipt(receipt))
    assert access is not None
    thread = await reporter_thread(ws.services.db, access, ws.services.files)
    assert thread is not None
    return [(e.text, e.authenticity) for e in thread.entries if e.kind == "reply"]


async def test_S2_a_signing_line_planted_for_a_new_report_does_not_excuse_a_forgery(workspace: Workspace) -> None:
    """The line is under the report's certificate: planting one (triggers dropped) fails."""
    ws, db_path = workspace, workspace.settings.database_path
    receipt, report_id = await submit(ws)
    forge_reply(db_path, report_id, FORGED, today())
    with sqlite3.connect(db_path) as raw:
        raw.execute("DROP TRIGGER authenticity_began_no_insert")
        raw.execute(
            "INSERT INTO authenticity_began (report_seq, first_n) SELECT seq, 99 FROM reports WHERE id = ?",
            (report_id,),
        )
    assert await _replies(ws, receipt) == [(FORGED, "failed")]


async def test_S2_an_item_moved_below_the_line_shows_as_failed(workspace: Workspace) -> None:
    """A negative or free position below the line, as the review tried: still failed."""
    ws, db_path = workspace, workspace.settings.database_path
    receipt, report_id = await submit(ws)
    item_id = forge_reply(db_path, report_id, FORGED, today())
    for n in (-7, 0):
        with sqlite3.connect(db_path) as raw:
            raw.execute("UPDATE items SET n = ? WHERE id = ?", (n, item_id))
        assert await _replies(ws, receipt) == [(FORGED, "failed")]


async def test_S4_pointing_a_passed_on_report_back_at_the_senders_key_is_refused(workspace: Workspace) -> None:
    ws, db_path = workspace, workspace.settings.database_path
    db = ws.services.db
    receipt, report_id = await submit(ws, what_happened="BEFOREHANDOVER")
    kent = await ws.signed_in("alice", "kent-police")
    report = await report_store.get_report(db, report_id)
    assert report is not None
    assert await casework.open_report_key(db, report, (await _unlocked(ws, kent)).unit_keys) is not None
    status, _ = await _transfer(kent, report_id, "essex-police", "theirs now")
    assert status == 303
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE reports SET report_public_key = ? WHERE id = ?", (report.report_public_key, report_id))
        items_before = raw.execute("SELECT count(*) FROM items").fetchone()[0]
    access = await open_with_receipt(db, ws.services.receipts, Receipt(receipt))
    assert access is not None
    with pytest.raises(certify.UncertifiedKey):
        await reporter_follow_up(db, access, "AFTERHANDOVER secret for essex only", today())
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT count(*) FROM items").fetchone()[0] == items_before
    rows = await audit_store.entries(db, 0, 1000)
    assert [r.entry.detail for r in rows if r.entry.action == "key_check_failed"] == ["report"]


async def test_S4_the_report_key_is_certified_only_for_the_unit_holding_it(workspace: Workspace) -> None:
    """Moving the report row back to Kent (unit and key both) is refused too."""
    ws, db_path = workspace, workspace.settings.database_path
    receipt, report_id = await submit(ws)
    kent = await ws.signed_in("alice", "kent-police")
    report = await report_store.get_report(ws.services.db, report_id)
    assert report is not None
    status, _ = await _transfer(kent, report_id, "essex-police", "theirs now")
    assert status == 303
    with sqlite3.connect(db_path) as raw:
        raw.execute("DROP TRIGGER IF EXISTS report_facets_unit")
        raw.execute(
            "UPDATE reports SET report_public_key = ?, unit_id = 'kent-police' WHERE id = ?",
            (report.report_public_key, report_id),
        )
        raw.execute("DELETE FROM report_key_history")
    access = await open_with_receipt(ws.services.db, ws.services.receipts, Receipt(receipt))
    assert access is not None
    with pytest.raises(certify.UncertifiedKey):
        await reporter_follow_up(ws.services.db, access, "for essex only", today())


async def test_S5_a_deleted_audit_key_stops_the_server_and_names_the_recovery(
    settings: Settings, services: Services
) -> None:
    await audit.record(services.db, audit.pending("sign_in", username="EVIDENCE-mallory"))
    settings.audit_key_path.unlink()
    with pytest.raises(DataDirError, match="keys restore") as refused:
        async with open_services(settings):
            pass
    assert "K custodian shares" in str(refused.value)
    assert not settings.audit_key_path.exists()  # no new key was made


async def test_S6_only_the_unit_holding_the_report_at_that_point_signs_its_replies(workspace: Workspace) -> None:
    """Kent after passing the report on, and Durham with first_unit_id rewritten: both failed;
    Kent's genuine reply from before the hand-over stays verified."""
    ws, db_path = workspace, workspace.settings.database_path
    db = ws.services.db
    receipt, report_id = await submit(ws)
    kent = await ws.signed_in("alice", "kent-police")
    await kent.act(report_id, "reply", {"reply": "genuine reply from Kent"})
    kent_keys = (await _unlocked(ws, kent)).unit_keys
    status, _ = await _transfer(kent, report_id, "essex-police", "conflict of interest")
    assert status == 303
    signer = await signing.current_signer(db, "kent-police", kent_keys)
    text = "FORGED by Kent after hand-over"
    item_id = forge_reply(db_path, report_id, text, today())
    tag = authenticity.sign_reply(signer, report_id, item_position(db_path, item_id), today(), text.encode(), [])
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE items SET authenticator = ? WHERE id = ?", (tag, item_id))
    durham = await ws.signed_in("dave", "durham-constabulary")
    dsigner = await signing.current_signer(db, "durham-constabulary", (await _unlocked(ws, durham)).unit_keys)
    text2 = "FORGED by Durham"
    item2 = forge_reply(db_path, report_id, text2, today())
    tag2 = authenticity.sign_reply(dsigner, report_id, item_position(db_path, item2), today(), text2.encode(), [])
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE items SET authenticator = ? WHERE id = ?", (tag2, item2))
        raw.execute("UPDATE reports SET first_unit_id = 'durham-constabulary' WHERE id = ?", (report_id,))
    got = await _replies(ws, receipt)
    assert ("genuine reply from Kent", "verified") in got
    assert (text, "failed") in got and (text2, "failed") in got


async def test_S6_a_rewritten_custody_history_fails_every_reply(workspace: Workspace) -> None:
    """Relabelling who held the earlier key (to excuse Kent's forgery) breaks the certificate."""
    ws, db_path = workspace, workspace.settings.database_path
    receipt, report_id = await submit(ws)
    kent = await ws.signed_in("alice", "kent-police")
    status, _ = await _transfer(kent, report_id, "essex-police", "theirs now")
    assert status == 303
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE report_key_history SET last_n = 99")
    forge_reply(db_path, report_id, FORGED, today())
    assert await _replies(ws, receipt) == [(FORGED, "failed")]


async def test_a_swapped_reporter_key_gets_no_reply_sealed_to_it(workspace: Workspace) -> None:
    """The reporter's public key is under the report's certificate: a reply is refused, not
    sealed to the attacker, and the staff site answers with its plain error page."""
    ws, db_path = workspace, workspace.settings.database_path
    _, report_id = await submit(ws)
    kent = await ws.signed_in("alice", "kent-police")
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE reports SET reporter_public_key = zeroblob(32) WHERE id = ?", (report_id,))
        before = raw.execute("SELECT count(*) FROM items").fetchone()[0]
    status, page = await kent.act(report_id, "reply", {"reply": "for the reporter only"})
    assert status == 500 and "Something went wrong on our side" in page
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT count(*) FROM items").fetchone()[0] == before
    rows = await audit_store.entries(ws.services.db, 0, 1000)
    assert [r.entry.detail for r in rows if r.entry.action == "key_check_failed"] == [f"report={report_id}"]
