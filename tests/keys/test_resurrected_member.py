"""Insider attack: a removed key holder, put back by SQL with the row from an older copy, gets the next unit key.

Attacker (b)+(d): a former Kent investigator who can write the database (or has it written for
them). The staff certificate binds id, unit, role and public key -- nothing that changes when
the row is deleted -- so the row saved from an older copy, re-inserted verbatim, still passes
`certify.staff_public`. `members_with_unit_keys` is every staff row of the unit with a
key-holding role, so the next rotation (any routine one, or the next removal) seals the new
unit key to the resurrected member: no approver, no notice to the unit.
A passing test is a FINDING.
"""

from __future__ import annotations

import sqlite3

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import keyring, revocation, rotation, staff_changes
from dropbox_server.health import database_checks
from dropbox_server.reports import casework
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from tests.conftest import enrol_member, init_test_data_dir, unlock_custodian

ALICE = "alice password quartz lantern"
MALLORY = "mallory password velvet harbour"


async def test_a_removed_member_restored_by_sql_is_sealed_the_next_unit_key(settings: Settings) -> None:
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        db = services.db
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password=ALICE)
        await enrol_member(db, username="mallory", unit_id="kent-police", role="investigator", password=MALLORY)
    with sqlite3.connect(settings.database_path) as raw:  # an older copy of the database
        raw.row_factory = sqlite3.Row
        saved = dict(raw.execute("SELECT * FROM staff WHERE username = 'mallory'").fetchone())
    async with open_services(settings) as services:
        await revocation.remove_staff(services.db, "mallory", today())  # rotates Kent's key
    with sqlite3.connect(settings.database_path) as raw:  # SQL write: the row goes back verbatim
        cols = ", ".join(saved)
        # The never-reused guard is a trigger over a plain table: the writer forgets the id.
        raw.execute("DELETE FROM staff_ids_used WHERE id = ?", (saved["id"],))
        raw.execute(f"INSERT INTO staff ({cols}) VALUES ({', '.join('?' * len(saved))})", tuple(saved.values()))
    async with open_services(settings) as services:
        db = services.db
        # Security staff's routine rotation (or the next removal): no shares, no approver.
        await rotation.rotate_unit_key(db, "kent-police", None, today())
        content = ReportContent(force="kent-police", conduct="corruption", what_happened="inspector leaks names")
        receipt = await submit_report(db, services.receipts, content, None, "online", today())
        access = await open_with_receipt(db, services.receipts, receipt)
        assert access is not None
        report = await report_store.get_report(db, access.report_id)
        assert report is not None
        row = await staff_store.get_staff_by_username(db, "mallory")
        assert row is not None
        mallory = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, MALLORY))
        opened = await casework.open_report(db, report, mallory.unit_keys)
    # ATTACK SUCCEEDS: the removed member reads a report filed after their removal.
    assert opened.content is not None and opened.content.what_happened == "inspector leaks names"
    assert {c.name: c for c in database_checks(settings, today())}["certificates"].ok  # and health is quiet


async def test_a_member_moved_out_and_pointed_back_by_sql_with_the_old_certificate_gets_the_next_key(
    settings: Settings,
) -> None:
    """The same gap through a move: the Kent certificate of a member since moved to Essex
    (saved from an older copy) still holds once the row says Kent again."""
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        db = services.db
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password=ALICE)
        await enrol_member(db, username="mallory", unit_id="kent-police", role="investigator", password=MALLORY)
    with sqlite3.connect(settings.database_path) as raw:
        (kent_cert,) = raw.execute("SELECT certificate FROM staff WHERE username = 'mallory'").fetchone()
    async with open_services(settings) as services:
        await staff_changes.move_staff(services.db, "mallory", "essex-police",
                                       await unlock_custodian(services.db), today(), force=True)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE staff SET unit_id = 'kent-police', certificate = ? WHERE username = 'mallory'",
                    (kent_cert,))
    async with open_services(settings) as services:
        db = services.db
        await rotation.rotate_unit_key(db, "kent-police", None, today())
        content = ReportContent(force="kent-police", conduct="corruption", what_happened="after the move")
        receipt = await submit_report(db, services.receipts, content, None, "online", today())
        access = await open_with_receipt(db, services.receipts, receipt)
        assert access is not None
        report = await report_store.get_report(db, access.report_id)
        assert report is not None
        row = await staff_store.get_staff_by_username(db, "mallory")
        assert row is not None
        mallory = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, MALLORY))
        opened = await casework.open_report(db, report, mallory.unit_keys)
    # ATTACK SUCCEEDS: the moved-out member reads Kent's new report.
    assert opened.content is not None and opened.content.what_happened == "after the move"
