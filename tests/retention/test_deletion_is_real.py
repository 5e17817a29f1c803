"""Deletion is real: a deleted report's ciphertext is nowhere in the data directory after."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from dropbox_server import audit
from dropbox_server.reports.retention import run_retention
from dropbox_server.stats.formats import render
from dropbox_server.stats.table import StatsQuery, statistics
from dropbox_server.store import retention as retention_store
from receipt_codes import generate_receipt
from tests.conftest import Sites
from tests.files.uploads import report_of, submit_with_files
from tests.journeys import Reporter, csrf_from
from tests.test_receipt_responses import post_receipt

EVIDENCE = b"%PDF-1.4 evidence of a bribe " * 4000


def _hits(data_dir: Path, needle: bytes) -> list[str]:
    """Every file under the data directory that holds `needle` (database, -wal, -shm, files/)."""
    return [
        str(p.relative_to(data_dir))
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and needle in p.read_bytes()
    ]


async def _blobs(sites: Sites, seq: int) -> list[bytes]:
    """Distinctive slices of every ciphertext of one report: its items and its file."""
    db = sites.services.db
    blobs = [
        bytes(r[0])[24:72]
        for r in await db.fetch_all("SELECT ciphertext FROM items WHERE report_seq = ?", (seq,))
    ]
    for row in await db.fetch_all("SELECT id FROM files WHERE report_seq = ?", (seq,)):
        blobs.append((sites.settings.files_dir / str(row[0])).read_bytes()[4096:4160])
    return blobs


async def _submitted(sites: Sites, http: aiohttp.ClientSession) -> tuple[Reporter, str, int]:
    reporter = Reporter(http, sites.reporter_url)
    status, page = await submit_with_files(reporter, [("bribe.pdf", EVIDENCE)])
    assert status == 200
    receipt = page.split('<p class="receipt-line" lang="en">')[1].split("</span>")[1].split("</p>")[0].strip()
    report = await report_of(sites, receipt)
    return reporter, receipt, report.seq


async def test_withdrawal_removes_every_byte_and_the_receipt_opens_nothing(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    reporter, receipt, seq = await _submitted(sites, http)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as second:
        await _submitted(sites, second)
    blobs = await _blobs(sites, seq)
    assert len(blobs) == 2
    for blob in blobs:
        assert _hits(sites.settings.data_dir, blob), "the blob should be on disk before"
    month = (await sites.services.db.fetch_one("SELECT created_day FROM reports WHERE seq = ?", (seq,)))[0][
        :7
    ]
    figures = render(await statistics(sites.services.db, StatsQuery(month, month, "kent-police")), "json")

    await reporter.open_thread(receipt)
    status, page = await reporter.get("/thread/withdraw")
    assert status == 200 and "cannot be undone" in page
    data = {"csrf_token": csrf_from(page)}
    async with http.post(sites.reporter_url + "/thread/withdraw", data=data, allow_redirects=False) as resp:
        assert resp.status == 400  # not confirmed: nothing deleted
        page = await resp.text()
    assert await sites.services.db.fetch_one("SELECT 1 FROM reports WHERE seq = ?", (seq,)) is not None
    data = {"csrf_token": csrf_from(page), "confirm": "yes"}
    async with http.post(sites.reporter_url + "/thread/withdraw", data=data, allow_redirects=False) as resp:
        assert (resp.status, resp.headers["Location"]) == (303, "/withdrawn")

    for blob in blobs:
        assert _hits(sites.settings.data_dir, blob) == []
    assert len([p for p in sites.settings.files_dir.iterdir() if p.is_file()]) == 1  # the other report's
    record = await retention_store.withdrawn_for_unit(sites.services.db, "kent-police")
    assert [(r.unit_id, r.day[:7]) for r in record] == [("kent-police", month)]
    after = render(await statistics(sites.services.db, StatsQuery(month, month, "kent-police")), "json")
    assert after == figures
    assert await post_receipt(reporter, receipt) == await post_receipt(reporter, generate_receipt())


async def test_retention_deletes_expired_reports_audited_without_content(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    _, receipt, seq = await _submitted(sites, http)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as second:
        _, _, kept_seq = await _submitted(sites, second)
    db = sites.services.db
    async with db.transaction() as tx:  # closed with no further action, last touched long ago
        await tx.execute(
            "UPDATE reports SET outcome = 'no-further-action', last_activity_day = '2025-01-01' WHERE seq = ?",
            (seq,),
        )
        await tx.execute(
            "UPDATE reports SET outcome = 'investigation', last_activity_day = '2025-01-01' WHERE seq = ?",
            (kept_seq,),
        )
    blobs = await _blobs(sites, seq)
    settings = sites.settings.retention
    # Kept for 90 whole days after its last activity day (2025-01-01 + 90 = 2025-04-01).
    dry = await run_retention(db, sites.services.files, settings, "2025-04-02", dry_run=True)
    assert [r.seq for r in dry.deleted] == [seq]
    assert all(_hits(sites.settings.data_dir, b) for b in blobs)
    assert (await run_retention(db, sites.services.files, settings, "2025-04-01")).deleted == []
    result = await run_retention(db, sites.services.files, settings, "2025-04-02")
    assert [r.seq for r in result.deleted] == [seq] and result.files_removed == 1
    for blob in blobs:
        assert _hits(sites.settings.data_dir, blob) == []
    assert await db.fetch_one("SELECT 1 FROM reports WHERE seq = ?", (kept_seq,)) is not None
    row = await db.fetch_one(
        "SELECT action, report_id, unit_id, detail FROM audit_log WHERE action = 'report_deleted'"
    )
    assert row is not None and row[2] == "kent-police"
    assert row[3] == "retention outcome=no-further-action last_activity=2025-01-01"
    assert (await audit.verify(db)).ok
    reporter = Reporter(http, sites.reporter_url)
    assert await post_receipt(reporter, receipt) == await post_receipt(reporter, generate_receipt())
