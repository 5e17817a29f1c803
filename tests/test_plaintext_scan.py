"""Invariant 1: nothing a reporter typed, no receipt and no contact detail is on disk in clear."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from dropbox_server.clock import today
from dropbox_server.reports import casework
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.store import reports as report_store
from receipt_codes import parse_receipt
from tests.conftest import Sites
from tests.journeys import Reporter
from tests.scan import scan
from tests.test_reporter_journey import enrol

FIELDS = (
    "subject_name",
    "subject_role",
    "collar_number",
    "station",
    "when",
    "where",
    "what_happened",
    "anything_else",
    "contact_how",
    "contact_when",
)


def markers(tag: str) -> dict[str, str]:
    return {name: f"MARKER{tag}{name.upper()}Zq9" for name in FIELDS}


async def test_no_plaintext_on_disk_or_in_logs(
    sites: Sites, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    needles: list[str] = []
    receipts: list[str] = []
    alice = await enrol(sites, "alice", "kent-police")
    for n, contact in enumerate(("anonymous", "contact")):
        fields = markers(str(n))
        needles += fields.values()
        reporter = Reporter(http, sites.reporter_url)
        receipt = await reporter.submit_ok(
            contact_choice=contact, contact_scope="unit", force="kent-police", **fields
        )
        receipts.append(receipt)
        await reporter.open_thread(receipt)
        follow = f"MARKERFOLLOWUP{n}Zq9 with ünïcödé ✓"
        needles.append(follow)
        await reporter.follow_up(follow)
        access = await open_with_receipt(sites.services.db, sites.services.receipts, parse_receipt(receipt))
        assert access is not None
        report = await report_store.get_report(sites.services.db, access.report_id)
        assert report is not None
        reply, note = f"MARKERREPLY{n}Zq9", f"MARKERNOTE{n}Zq9"
        needles += [reply, note]
        await casework.reply_to_reporter(sites.services.db, report, alice, reply, today())
        await casework.add_note(sites.services.db, report, alice.staff.id, note, today())
        page = await reporter.open_thread(receipt)
        assert reply in page and note not in page
    needles += receipts
    needles += [" ".join(r.split()[:3]) for r in receipts]

    hits = scan([sites.settings.data_dir], needles)
    assert hits == []
    # Control: routing metadata is stored in clear by design, so the scan does see the files.
    assert scan([sites.settings.data_dir], ["kent-police"])
    assert sites.settings.data_dir.joinpath("tipdrop.sqlite3-wal").exists()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not [n for n in needles if n in logged]
    # No IP address or user agent in any log line either (access logs are off).
    assert "127.0.0.1" not in logged
    assert "Python/" not in logged and "aiohttp/" not in logged
