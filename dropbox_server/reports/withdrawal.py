"""A reporter deletes their own report from check-back; the unit keeps only that it happened."""

from __future__ import annotations

from dropbox_server.files.disk import FileDir
from dropbox_server.reports.reporter_access import ReporterAccess, reporter_report
from dropbox_server.retention import remove_ciphertext
from dropbox_server.store import Database
from dropbox_server.store import retention as retention_store


async def withdraw_report(db: Database, files: FileDir, access: ReporterAccess, day: str) -> bool:
    """Delete the report, its messages, replies and files; keep a record (id, unit, day).

    Afterwards the receipt opens nothing, exactly like one never issued (its lookup id is
    gone with the row). Statistics are monthly counters and do not change.
    Security: not in the audit log. Nothing a reporter does is logged with a precise time
    (invariant 2); the record keeps the day only. Deletion is real: secure_delete, a WAL
    checkpoint that truncates old page images, and the ciphertext files unlinked.
    """
    report = await reporter_report(db, access)
    if report is None:
        return False
    record = retention_store.Withdrawn(report.id, report.unit_id, day)
    file_ids = await retention_store.withdraw(db, report.seq, record)
    if file_ids is None:
        return False
    await remove_ciphertext(files, file_ids)
    await db.checkpoint()
    return True
