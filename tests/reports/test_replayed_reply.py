"""Insider finding F6 (regression): a genuine signed reply copied to a later position.

Attacker (b): writes the database only. A reply's signature covers report, day, text and
files (reports/authenticity.py `_message`), not its position or item id, and the custody
check only asks which unit held the report at the new position. So a writer can copy an old
reply ("come to the station on Friday and ask for DS Smith") after the unit's later one
("do NOT come in"), and delete the later one; the reporter sees the old instruction as the
unit's latest, verified word. Was an attack test (it passed on the old code); the
signature now covers the reply's position (format 2), so the moved copy fails. Replies
signed before (format 1) still verify where they stand, but not after a format-2 reply.
"""

from __future__ import annotations

import secrets
import sqlite3

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import signing
from dropbox_server.reports import authenticity, casework
from dropbox_server.reports.reporter_access import open_with_receipt, reporter_thread
from dropbox_server.services import open_services
from tests.reports.forgery import forge_reply
from tests.reports.kent_report import alice_and_a_receipt, unlock_alice


async def test_an_old_signed_reply_moved_after_a_newer_one_fails(settings: Settings) -> None:
    receipt, access, report = await alice_and_a_receipt(settings)
    async with open_services(settings) as services:
        db = services.db
        alice = await unlock_alice(db)
        await casework.reply_to_reporter(db, report, alice, "come in on Friday, ask for DS Smith", today())
        await casework.reply_to_reporter(db, report, alice, "do NOT come in: stay away", today())
        seq = report.seq
    with sqlite3.connect(settings.database_path) as raw:
        raw.row_factory = sqlite3.Row
        first, second = raw.execute(
            "SELECT * FROM items WHERE report_seq = ? AND kind = 'unit_reply' ORDER BY n", (seq,)).fetchall()
        copy = dict(first)
        copy["id"], copy["n"] = secrets.randbits(62), second["n"] + 1
        raw.execute(f"INSERT INTO items ({', '.join(copy)}) VALUES ({', '.join('?' * len(copy))})",
                    tuple(copy.values()))
        raw.execute("DELETE FROM items WHERE id = ?", (second["id"],))
    async with open_services(settings) as services:
        access = await open_with_receipt(services.db, services.receipts, receipt)
        assert access is not None
        thread = await reporter_thread(services.db, access, services.files)
        assert thread is not None
        replies = [(e.text, e.authenticity) for e in thread.entries if e.kind == "reply"]
    # DEFENCE: the moved copy of the old instruction is shown as failed, not verified.
    assert replies == [("come in on Friday, ask for DS Smith", "verified"),
                       ("come in on Friday, ask for DS Smith", "failed")]
    assert ("do NOT come in: stay away", "verified") not in replies


def _format_1(signer: signing.Signer, report_id: str, day: str, text: str) -> bytes:
    """A reply's authenticator as written before F6: no position in what is signed."""
    message = authenticity._message(authenticity.REPLY_PURPOSE, report_id, day, text.encode(), [])
    return bytes([envelope.VERSION]) + signer.unit_key_id.to_bytes(8, "big") + envelope.sign(signer.pair, message)


async def test_a_reply_signed_before_positions_verifies_unless_it_stands_after_a_positioned_one(
    settings: Settings,
) -> None:
    receipt, access, report = await alice_and_a_receipt(settings)
    async with open_services(settings) as services:
        db = services.db
        alice = await unlock_alice(db)
        signer = await signing.current_signer(db, "kent-police", alice.unit_keys)
    path = settings.database_path
    forge_reply(path, access.report_id, "old format", today(), _format_1(signer, access.report_id, today(), "old format"))
    async with open_services(settings) as services:
        await casework.reply_to_reporter(services.db, report, alice, "new format", today())
    forge_reply(path, access.report_id, "old after new", today(),
                _format_1(signer, access.report_id, today(), "old after new"))
    async with open_services(settings) as services:
        access = await open_with_receipt(services.db, services.receipts, receipt)
        assert access is not None
        thread = await reporter_thread(services.db, access, services.files)
        assert thread is not None
        replies = [(e.text, e.authenticity) for e in thread.entries if e.kind == "reply"]
    # Format 1 still verifies where it stands; after a format-2 reply it can only have been moved.
    assert replies == [("old format", "verified"), ("new format", "verified"), ("old after new", "failed")]
