"""Driving uploads over HTTP and reading files back as the unit, for the attachment tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dropbox_server.custody import keyring
from dropbox_server.files.download import OpenedFile, plaintext_chunks
from dropbox_server.reports.case_files import case_files
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.store import ReportRow
from dropbox_server.store import reports as report_store
from receipt_codes import parse_receipt
from tests.conftest import Sites
from tests.journeys import Reporter, csrf_from, form_with_files, report_fields
from tests.leakcheck import remember_fields


async def submit_with_files(
    reporter: Reporter, files: list[tuple[str, bytes]], **overrides: str
) -> tuple[int, str]:
    _, page = await reporter.get("/report")
    fields = report_fields(**overrides)
    remember_fields(fields)
    fields["csrf_token"] = csrf_from(page)
    async with reporter.http.post(reporter.base + "/report", data=form_with_files(fields, files)) as resp:
        return resp.status, await resp.text()


async def follow_up_with_files(
    reporter: Reporter, text: str, files: list[tuple[str, bytes]]
) -> tuple[int, str]:
    _, page = await reporter.get("/thread")
    form = form_with_files({"csrf_token": csrf_from(page), "message": text}, files)
    async with reporter.http.post(reporter.base + "/thread/message", data=form) as resp:
        return resp.status, await resp.text()


async def report_of(sites: Sites, receipt: str) -> ReportRow:
    access = await open_with_receipt(sites.services.db, sites.services.receipts, parse_receipt(receipt))
    assert access is not None
    report = await report_store.get_report(sites.services.db, access.report_id)
    assert report is not None
    return report


async def unit_files(sites: Sites, staff: keyring.UnlockedStaff, report: ReportRow) -> list[OpenedFile]:
    return await case_files(sites.services.db, sites.services.files, staff, report.id)


async def read_all(opened: OpenedFile) -> bytes:
    out = bytearray()
    async for chunk in plaintext_chunks(opened):
        out += chunk
    return bytes(out)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files(data_dir: Path) -> list[Path]:
    """Every file under files/ (tmp/ included)."""
    root = data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
