"""A reporter deletes their own report from check-back; the unit keeps only that it happened.

A report taken by phone is never deleted online: the call handler who typed it in also
heard its receipt, and could otherwise delete a caller's evidence later, unaudited. From
the reporter site such a report gets a withdrawal request the unit sees in the thread.
"""

from __future__ import annotations

from typing import Literal

from dropbox_server import envelope
from dropbox_server.files.disk import FileDir
from dropbox_server.reports.content import item_context
from dropbox_server.reports.reporter_access import ReporterAccess
from dropbox_server.retention import remove_ciphertext
from dropbox_server.store import Database, NewItem, ReportRow
from dropbox_server.store import reports as report_store
from dropbox_server.store import retention as retention_store

Withdrawal = Literal["withdrawn", "requested", "gone"]

# Stored (encrypted, like any message) in the unit's language of work; the unit reads it in
# the thread as a message from the reporter.
WITHDRAWAL_REQUEST = (
    "Withdrawal request: the reporter asked online for this report to be withdrawn. It was "
    "taken by phone, so it cannot be deleted online: the call handler also heard the receipt, "
    "so this request may not come from the caller. Decide what to do with your supervisor."
)


async def withdraw_report(db: Database, files: FileDir, access: ReporterAccess, day: str) -> Withdrawal:
    """Delete the report, its messages, replies and files; keep a record (id, unit, day).

    Afterwards the receipt opens nothing, exactly like one never issued (its lookup id is
    gone with the row). Statistics are monthly counters and do not change.
    A phone report is not deleted: the unit gets a withdrawal request ("requested").
    Security: not in the audit log. Nothing a reporter does is logged with a precise time
    (invariant 2); the record keeps the day only. Deletion is real: secure_delete, a WAL
    checkpoint that truncates old page images, and the ciphertext files unlinked.
    """
    report = await report_store.get_report_by_seq(db, access.report_seq)
    if report is None or report.id != access.report_id:
        return "gone"
    if report.channel == "phone":
        await _request_withdrawal(db, report, day)
        return "requested"
    record = retention_store.Withdrawn(report.id, report.unit_id, day)
    file_ids = await retention_store.withdraw(db, report.seq, record)
    if file_ids is None:
        return "gone"
    await remove_ciphertext(files, file_ids)
    await db.checkpoint()
    return "withdrawn"


async def _request_withdrawal(db: Database, report: ReportRow, day: str) -> None:
    """A message from the reporter asking the unit to withdraw the report (shown as unread).

    Security: sealed to the report key like any reporter message; the report stays whole.
    """
    text = WITHDRAWAL_REQUEST.encode("utf-8")
    blob, key, _ = envelope.seal_new_item(
        report.report_public_key, text, item_context(report.id, "reporter_message")
    )
    item = NewItem(kind="reporter_message", ciphertext=blob, key_for_unit=key)
    await report_store.add_item(db, report.seq, item, day)
