"""Retention: delete reports, their replies and their files once they are no longer needed.

A report is kept for a period that depends on its current outcome (config.RetentionSettings),
counted from its last activity day (a message, a reply, an outcome change or a transfer all
restart the clock). A daily job and `python run.py retention run` delete what has expired.

Security: deletion is real. The rows go in one transaction with secure_delete on (their
pages are overwritten with zeros), the WAL is then checkpointed and truncated so no old page
image of them remains, and the ciphertext files are unlinked and the folder fsynced. Each
deletion is in the audit log with the report id, unit, outcome and last activity day only.
Statistics are monthly counters that deletion never touches.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from dropbox_server import audit
from dropbox_server.clock import parse_day, today
from dropbox_server.config import RetentionSettings
from dropbox_server.files.disk import FileDir, fsync_dir
from dropbox_server.store import Database
from dropbox_server.store import retention as retention_store
from dropbox_server.store.retention import Expired

log = logging.getLogger("tipdrop.retention")
BATCH = 200
STARTUP_DELAY_SECONDS = 60.0


@dataclass
class RetentionResult:
    """What one run deleted (or, in a dry run, would delete)."""

    deleted: list[Expired] = field(default_factory=list)
    files_removed: int = 0
    withdrawn_records_expired: int = 0
    dry_run: bool = False


def cutoff(today: str, days: int) -> str:
    """The first last-activity day still kept: anything before it has expired."""
    return (parse_day(today) - timedelta(days=days)).isoformat()


async def remove_ciphertext(files: FileDir, file_ids: list[str]) -> None:
    """Unlink deleted reports' ciphertext files and make the unlinks durable.

    Called after the commit that deleted their rows: a crash in between leaves files no
    row names, which the start-up sweep removes.
    """
    if not file_ids:
        return
    files.remove(file_ids)
    await asyncio.to_thread(fsync_dir, files.root)


async def _outcomes(db: Database, settings: RetentionSettings) -> list[tuple[str, int]]:
    named = tuple(o for o, _ in settings.outcome_days)
    others = await retention_store.other_outcomes(db, named)
    return [*settings.outcome_days, *((o, settings.default_days) for o in others)]


async def _expire_outcome(
    db: Database, files: FileDir, outcome: str, before: str, result: RetentionResult
) -> None:
    skipped: set[int] = set()
    while batch := [
        r
        for r in await retention_store.expired_reports(db, outcome, before, BATCH + len(skipped))
        if r.seq not in skipped
    ]:
        for report in batch:
            if result.dry_run:
                result.deleted.append(report)
                skipped.add(report.seq)
                continue
            detail = f"retention outcome={report.outcome} last_activity={report.last_activity_day}"
            entry = audit.pending(
                "report_deleted", unit_id=report.unit_id, report_id=report.id, detail=detail
            )
            file_ids = await retention_store.delete_expired(db, report, entry)
            if file_ids is None:
                skipped.add(report.seq)  # it changed meanwhile: its clock restarted
                continue
            await remove_ciphertext(files, file_ids)
            result.deleted.append(report)
            result.files_removed += len(file_ids)


async def run_retention(
    db: Database, files: FileDir, settings: RetentionSettings, today: str, *, dry_run: bool = False
) -> RetentionResult:
    """Delete every report past its period, then the old withdrawal records; one checkpoint."""
    result = RetentionResult(dry_run=dry_run)
    for outcome, days in await _outcomes(db, settings):
        await _expire_outcome(db, files, outcome, cutoff(today, days), result)
    if not dry_run:
        result.withdrawn_records_expired = await retention_store.expire_withdrawn_records(
            db, cutoff(today, settings.withdrawn_record_days)
        )
        if result.deleted:
            await db.scrub_wal()
    if result.deleted and not dry_run:
        log.info("retention deleted %d reports and %d files", len(result.deleted), result.files_removed)
    return result


async def run_daily(db: Database, files: FileDir, settings: RetentionSettings, first_delay: float) -> None:
    """Run retention after `first_delay` seconds, then every `run_every_seconds`, until cancelled."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            await run_retention(db, files, settings, today())
        except Exception as exc:  # a failed run must not stop the next one
            log.error("retention run failed: %s", type(exc).__name__)
        await asyncio.sleep(settings.run_every_seconds)
