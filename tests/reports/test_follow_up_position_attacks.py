"""Reporter follow-ups bound to their position (format 2, issue 18) under a database writer.

Attacker (b): writes the database only (no receipt, no unit key, no audit.key). Findings (a
passing test is a FINDING) are marked ATTACK SUCCEEDS; `test_defence_*` asserts a defence.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import replace
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify
from dropbox_server.custody.signing import current_signer
from dropbox_server.reports import authenticity, casework
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import (
    ReporterAccess,
    open_with_receipt,
    reporter_follow_up,
    reporter_thread,
)
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import reports as report_store
from tests.reports.forgery import forge_follow_up
from tests.reports.kent_report import alice_and_a_report, unlock_alice

OLD = "yes, meet me on Friday at the station"
NEW = "do NOT contact me, I am being watched"


async def _as_alice(settings: Settings, report_id: str, reply: str | None = None) -> list[tuple[str, str, str]]:
    """The unit's view of the thread (kind, text, authenticity); first sends `reply` if given."""
    async with open_services(settings) as services:
        db = services.db
        alice = await unlock_alice(db)
        report = await report_store.get_report(db, report_id)
        assert report is not None
        if reply is not None:
            await casework.reply_to_reporter(db, report, alice, reply, today())
        opened = await casework.open_report(db, report, alice.unit_keys)
    return [(m.kind, m.text, m.authenticity) for m in opened.messages]


async def _follow_ups(settings: Settings, access: ReporterAccess, *texts: str) -> None:
    async with open_services(settings) as services:
        for text in texts:
            await reporter_follow_up(services.db, access, text, today())


def _items(path: Path, seq: int) -> list[sqlite3.Row]:
    with sqlite3.connect(path) as raw:
        raw.row_factory = sqlite3.Row
        return raw.execute("SELECT * FROM items WHERE report_seq = ? AND kind IN ('reporter_message', 'unit_reply') ORDER BY n", (seq,)).fetchall()


def _copy(path: Path, item: sqlite3.Row, **changes: object) -> None:
    row = dict(item) | {"id": secrets.randbits(62)} | changes
    with sqlite3.connect(path) as raw:
        raw.execute(f"INSERT INTO items ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))


def _delete(path: Path, item_id: int) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM items WHERE id = ?", (item_id,))


async def test_a_follow_up_deleted_mid_thread_is_marked_and_the_newest_is_the_stated_limit(
    settings: Settings,
) -> None:
    """Regression (insider finding N3, was "attack succeeds"). A deletion in the middle of the
    thread left a gap that no view marked: the unit's and the reporter's views now mark it.
    Deleting the reporter's NEWEST follow-up ("do NOT contact me") still leaves no trace (the
    next item takes its position): the limit stated in reports/thread_gaps.py and the README."""
    access, report = await alice_and_a_report(settings)
    await _follow_ups(settings, access, "first", OLD, NEW)
    path = settings.database_path
    first, _old, new = _items(path, report.seq)
    _delete(path, new["id"])
    thread = await _as_alice(settings, access.report_id, reply="Understood, see you on Friday.")
    assert thread == [("reporter_message", "first", "verified"), ("reporter_message", OLD, "verified"),
                      ("unit_reply", "Understood, see you on Friday.", "verified")]
    assert _items(path, report.seq)[-1]["n"] == new["n"]  # the reply took NEW's place: no gap (the limit)
    assert await _gaps(settings, access) == ([False, False, False], [False, False, False, False])
    _delete(path, first["id"])  # a gap at 2
    assert all(a == "verified" for _k, _t, a in await _as_alice(settings, access.report_id))
    # the unit's view: OLD follows the gap; the reporter's: report, (gap) message 2 = OLD, the reply
    assert await _gaps(settings, access) == ([True, False], [False, True, False])


async def _gaps(settings: Settings, access: ReporterAccess) -> tuple[list[bool], list[bool]]:
    """Where the unit's view and the reporter's page mark an item missing."""
    async with open_services(settings) as services:
        db = services.db
        alice = await unlock_alice(db)
        report = await report_store.get_report(db, access.report_id)
        assert report is not None
        opened = await casework.open_report(db, report, alice.unit_keys)
        thread = await reporter_thread(db, access)
        assert thread is not None
    return [m.gap_before for m in opened.messages], [e.gap_before for e in thread.entries]


async def test_a_format_1_follow_up_moved_after_a_positioned_reply_fails(settings: Settings) -> None:
    """Regression (insider finding N4, was "attack succeeds"). A follow-up stored before
    positions (format 1) failed only after a format-2 FOLLOW-UP; moved after a format-2 REPLY
    it verified, answering the unit's new question with the reporter's old words. No format-1
    item can stand after any format-2 item honestly: it fails now."""
    access, report = await alice_and_a_report(settings)
    legacy = authenticity.authenticate_follow_up(
        access.private_key, report.report_public_key, access.report_id, today(), OLD.encode(), []
    )  # what the reporter's page made before format 2: genuinely the reporter's
    path = settings.database_path
    forge_follow_up(path, access.report_id, OLD, today(), legacy)  # stands as it was stored before
    question = "Is it safe for you if we come to your house tonight?"
    assert await _as_alice(settings, access.report_id, reply=question) == [
        ("reporter_message", OLD, "verified"), ("unit_reply", question, "verified")
    ]
    (old, reply) = _items(path, report.seq)
    _copy(path, old, n=reply["n"] + 1)
    _delete(path, old["id"])
    assert await _as_alice(settings, access.report_id) == [
        ("unit_reply", question, "verified"), ("reporter_message", OLD, "failed")
    ]


async def test_defence_a_format_2_follow_up_cannot_be_downgraded_moved_to_zero_or_carried_over(
    settings: Settings,
) -> None:
    """Format 2 with its format byte stripped (read as format 1), the same item at position 0
    (numbered by the trigger), and the item copied into another report: each fails."""
    access, report = await alice_and_a_report(settings)
    await _follow_ups(settings, access, NEW)
    path = settings.database_path
    (item,) = _items(path, report.seq)
    assert bytes(item["authenticator"])[:2] == b"\x02\x01"
    _copy(path, item, n=item["n"] + 5, authenticator=bytes(item["authenticator"])[1:])  # downgraded
    _copy(path, item, n=0)  # left for the items_position trigger to number (the end)
    assert await _as_alice(settings, access.report_id) == [
        ("reporter_message", NEW, "verified"), ("reporter_message", NEW, "failed"),
        ("reporter_message", NEW, "failed"),
    ]
    async with open_services(settings) as services:
        content = ReportContent(force="kent-police", conduct="corruption", what_happened="y")
        receipt = await submit_report(services.db, services.receipts, content, None, "online", today())
        other = await open_with_receipt(services.db, services.receipts, receipt)
        assert other is not None
        other_report = await report_store.get_report(services.db, other.report_id)
        assert other_report is not None
    _copy(path, item, report_seq=other_report.seq, n=0)
    assert await _as_alice(settings, other.report_id) == [("reporter_message", "", "failed")]


async def test_a_format_1_reply_moved_after_a_positioned_follow_up_fails(settings: Settings) -> None:
    """Regression (insider finding N4, the reply side, was "attack succeeds"). A unit reply
    signed before F6 (format 1) failed only after a format-2 REPLY; moved after the reporter's
    new (format-2) follow-up it verified, on the reporter's page too (check_reply is the code
    that page uses). It fails now."""
    access, report = await alice_and_a_report(settings)
    old_answer = "Yes, we will come to your house tonight."
    async with open_services(settings) as services:
        db = services.db
        alice = await unlock_alice(db)
        signer = await current_signer(db, report.unit_id, alice.unit_keys)
        await certify.reporter_public(db, report)
        legacy = bytes([envelope.VERSION]) + signer.unit_key_id.to_bytes(8, "big") + envelope.sign(
            signer.pair,
            authenticity._message(authenticity.REPLY_PURPOSE, report.id, today(), old_answer.encode(), []),
        )  # a reply as the unit signed it before F6: genuinely the unit's
        item = casework.reply_item(report, alice.staff.id, old_answer, signer, today())
        await report_store.add_item(db, report.seq, replace(item, authenticate_at=None, authenticator=legacy), today())
    question = "Please do NOT come to my house, can we meet elsewhere?"
    await _follow_ups(settings, access, question)
    assert await _as_alice(settings, access.report_id) == [
        ("unit_reply", old_answer, "verified"), ("reporter_message", question, "verified")
    ]
    path = settings.database_path
    (old, follow_up) = _items(path, report.seq)
    _copy(path, old, n=follow_up["n"] + 1)
    _delete(path, old["id"])
    assert await _as_alice(settings, access.report_id) == [
        ("reporter_message", question, "verified"), ("unit_reply", old_answer, "failed")
    ]
    async with open_services(settings) as services:  # the reporter's page reads it the same way
        shown = await reporter_thread(services.db, access)
    assert shown is not None
    assert [(e.text, e.authenticity) for e in shown.entries if e.kind == "reply"] == [(old_answer, "failed")]
