"""Regression (insider finding F7): a planted unit key never gets a certified signing key.

Attacker: writes the database only (no audit.key, no shares, no password). They add an
uncertified newer unit key whose private half they hold, sealed to each member's PUBLIC key,
hoping the next honest reply certifies the signing key derived from it (then hide the key
again and plant a reply signed with it, shown to the reporter as verified). The reply must be
refused loudly (the current unit key is checked by certify.current_unit_key), and a signing
record made for an uncertified unit key by any path must never verify a reply.
This test passed as an ATTACK (forged reply "verified") before the fix.
"""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify, keyring, signing
from dropbox_server.custody.signing import Signer, signing_pair
from dropbox_server.reports import casework
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt, reporter_thread
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import audit as audit_store
from dropbox_server.store import authenticity as authenticity_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from tests.conftest import enrol_member, init_test_data_dir

PW = "alice password quartz lantern"
PHISH = "This is Kent PSD. Meet DS Smith alone at the car park on Friday, bring what you have."


async def test_a_planted_unit_key_gets_no_signing_key_and_a_forged_reply_fails(settings: Settings) -> None:
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        db = services.db
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password=PW)
        receipts = []
        for text in ("first", "second"):
            content = ReportContent(force="kent-police", conduct="corruption", what_happened=text)
            receipts.append(await submit_report(db, services.receipts, content, None, "online", today()))
    evil = envelope.generate_keypair()
    with sqlite3.connect(settings.database_path) as raw:  # SQL only: public keys suffice
        day = raw.execute("SELECT max(created_day) FROM unit_keys").fetchone()[0]
        key_id = int(raw.execute(
            "INSERT INTO unit_keys (unit_id, public_key, created_day) VALUES ('kent-police', ?, ?)",
            (evil.public, day)).lastrowid or 0)
        for staff_id, public in raw.execute("SELECT id, public_key FROM staff WHERE unit_id = 'kent-police'"):
            raw.execute("INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, ?, ?)",
                        (key_id, staff_id, envelope.seal(bytes(public), evil.private)))
    async with open_services(settings) as services:  # alice signs in and answers report 1
        db = services.db
        access = await open_with_receipt(db, services.receipts, receipts[0])
        assert access is not None
        report = await report_store.get_report(db, access.report_id)
        assert report is not None
        row = await staff_store.get_staff_by_username(db, "alice")
        assert row is not None
        alice = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, PW))
        with pytest.raises(certify.UncertifiedKey, match="certificate"):
            await casework.reply_to_reporter(db, report, alice, "thank you, we are looking", today())
        assert await authenticity_store.signing_key(db, key_id) is None  # nothing certified
        assert await audit_store.has_action(db, ("key_check_failed",))
        # A signing record for the planted key made by any other path (say, before this fix)
        # still does not verify: the unit key's own certificate is checked too.
        assert db.audit_seed is not None
        pair = signing_pair(evil.private)
        await authenticity_store.put_signing_key(db, key_id, pair.public, signing._certificate(
            db.audit_seed, key_id, "kent-police", evil.public, pair.public))
        assert await signing.certified_signer(db, key_id) is None
    with sqlite3.connect(settings.database_path) as raw:  # hide the planted key again
        raw.execute("UPDATE unit_keys SET retired_day = ? WHERE id = ?", (day, key_id))
    async with open_services(settings) as services:  # the forgery, into report 2
        db = services.db
        access = await open_with_receipt(db, services.receipts, receipts[1])
        assert access is not None
        target = await report_store.get_report(db, access.report_id)
        assert target is not None
        forged = casework.reply_item(target, row.id, PHISH, Signer(key_id, signing_pair(evil.private)), today())
        await report_store.add_item(db, target.seq, forged, today())  # = an INSERT anyone could write
        thread = await reporter_thread(db, access, services.files)
        assert thread is not None
        replies = [(e.text, e.authenticity) for e in thread.entries if e.kind == "reply"]
    # DEFENCE: the forged reply is shown as failing its check, never as verified.
    assert replies == [(PHISH, "failed")]
