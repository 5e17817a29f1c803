"""Passing a report on gives it a new key pair: the sending unit's copy of the old report key
(kept from before, or from an old database copy and a member's password) opens nothing added
afterwards, while the receiving unit still reads everything from before."""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.reports import casework
from dropbox_server.reports.reporter_access import open_with_receipt, reporter_follow_up
from dropbox_server.store import reports as report_store
from receipt_codes import Receipt
from tests.investigator.conftest import Workspace, submit
from tests.investigator.test_transfer import _transfer, _unlocked
from tests.reports.forgery import forge_follow_up


def _sealed_after(db_path: object, seq: int, after_n: int) -> list[bytes]:
    """Every key sealed to the report key for something added after position `after_n`."""
    with sqlite3.connect(str(db_path)) as raw:
        items = raw.execute(
            "SELECT key_for_unit FROM items WHERE report_seq = ? AND n > ?", (seq, after_n)
        ).fetchall()
        reasons = raw.execute(
            "SELECT reason_key FROM outcome_history WHERE report_seq = ? AND reason_key IS NOT NULL", (seq,)
        ).fetchall()
        transfer = raw.execute(
            "SELECT reason_key_for_report FROM transfers WHERE report_seq = ?", (seq,)
        ).fetchall()
    return [bytes(r[0]) for r in items + reasons[-1:] + transfer]


async def test_the_senders_old_key_opens_nothing_added_after(workspace: Workspace) -> None:
    ws = workspace
    db = ws.services.db
    receipt, report_id = await submit(ws, what_happened="BEFOREHANDOVER")
    kent = await ws.signed_in("alice", "kent-police")
    await kent.act(report_id, "reply", {"reply": "kent reply before"})
    kent_keys = (await _unlocked(ws, kent)).unit_keys
    report = await report_store.get_report(db, report_id)
    assert report is not None
    old_report_key = await casework.open_report_key(db, report, kent_keys)
    assert old_report_key is not None
    last_before = max(i.n for i in await report_store.items(db, report.seq))

    status, _ = await _transfer(kent, report_id, "essex-police", "theirs now")
    assert status == 303

    # After the hand-over: the reporter writes, Essex replies, notes and decides.
    access = await open_with_receipt(db, ws.services.receipts, Receipt(receipt))
    assert access is not None
    await reporter_follow_up(db, access, "AFTERHANDOVER from the reporter", today())
    essex = await ws.signed_in("erin", "essex-police")
    await essex.act(report_id, "reply", {"reply": "AFTERHANDOVER essex reply"})
    await essex.act(report_id, "note", {"note": "AFTERHANDOVER essex note"})
    await essex.act(
        report_id, "outcome", {"outcome": "assessing", "reason": "AFTERHANDOVER", "seen_outcome": "new"}
    )

    moved = await report_store.get_report(db, report_id)
    assert moved is not None and moved.report_public_key != report.report_public_key
    sealed = _sealed_after(ws.settings.database_path, report.seq, last_before)
    assert len(sealed) == 5  # follow-up, reply, note, the outcome's reason, the transfer's reason
    for blob in sealed:
        with pytest.raises(envelope.EnvelopeError):
            envelope.unseal(old_report_key, blob)
    # The old key still opens what it always could (nothing is re-encrypted in bulk).
    first = (await report_store.items(db, report.seq))[0]
    envelope.unseal(old_report_key, first.key_for_unit)

    # Essex reads the whole thread, from before and after, every message checking out.
    opened = await casework.open_report(db, moved, (await _unlocked(ws, essex)).unit_keys)
    assert opened.content.what_happened == "BEFOREHANDOVER"
    assert [(m.text, m.authenticity) for m in opened.messages] == [
        ("kent reply before", "verified"),
        ("AFTERHANDOVER from the reporter", "verified"),
        ("AFTERHANDOVER essex reply", "verified"),
        ("AFTERHANDOVER essex note", "verified"),
    ]
    page = await essex.open_report(report_id)
    assert "theirs now" in page and "BEFOREHANDOVER" in page
    _, inbox = await essex.get("/inbox")
    assert "BEFOREHANDOVER" in inbox  # the summary walks back to the first key


async def test_a_message_sealed_to_the_retired_key_is_marked(workspace: Workspace) -> None:
    """The sending unit still has the old key pair; whatever it seals to it after the hand-over
    is flagged, even if it could also make a valid Box with the old report key."""
    ws = workspace
    receipt, report_id = await submit(ws)
    kent = await ws.signed_in("alice", "kent-police")
    report = await report_store.get_report(ws.services.db, report_id)
    assert report is not None
    status, _ = await _transfer(kent, report_id, "essex-police", "theirs now")
    assert status == 303
    forge_follow_up(ws.settings.database_path, report_id, "LATEFORGERY", today(), to=report.report_public_key)
    essex = await ws.signed_in("erin", "essex-police")
    moved = await report_store.get_report(ws.services.db, report_id)
    assert moved is not None
    opened = await casework.open_report(ws.services.db, moved, (await _unlocked(ws, essex)).unit_keys)
    assert [(m.text, m.authenticity) for m in opened.messages] == [("LATEFORGERY", "failed")]
    assert receipt
