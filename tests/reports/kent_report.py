"""A data directory with one Kent investigator (alice) and one online report to Kent: where the
tests of replies and follow-ups a database writer moves, copies or deletes begin."""

from __future__ import annotations

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import keyring
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import ReporterAccess, open_with_receipt
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import Database, ReportRow
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from tests.conftest import enrol_member, init_test_data_dir

PW = "alice password quartz lantern"


async def alice_and_a_receipt(settings: Settings) -> tuple[str, ReporterAccess, ReportRow]:
    """The receipt, the reporter's access (with the receipt key) and the stored report."""
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        db = services.db
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password=PW)
        content = ReportContent(force="kent-police", conduct="corruption", what_happened="x")
        receipt = await submit_report(db, services.receipts, content, None, "online", today())
        access = await open_with_receipt(db, services.receipts, receipt)
        assert access is not None
        report = await report_store.get_report(db, access.report_id)
        assert report is not None
    return receipt, access, report


async def alice_and_a_report(settings: Settings) -> tuple[ReporterAccess, ReportRow]:
    """The reporter's access (with the receipt key) and the stored report, before any follow-up."""
    _, access, report = await alice_and_a_receipt(settings)
    return access, report


async def unlock_alice(db: Database) -> keyring.UnlockedStaff:
    """Alice signed in: her unit's keys opened with her password."""
    row = await staff_store.get_staff_by_username(db, "alice")
    assert row is not None
    return await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, PW))
