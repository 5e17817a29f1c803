"""The unit's side of attachments: list and open a case's files, and reply with files.

Security: every use case starts from reports.access.load_case, so a file is reachable
only through a report of the caller's own unit opened with its keys; a file id of
another report is not found, exactly like one that does not exist. Downloads and replies
are audited (file id only, never a name or content).
"""

from __future__ import annotations

import asyncio

from dropbox_server import audit, envelope
from dropbox_server.custody import certify
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.custody.signing import current_signer
from dropbox_server.files.disk import FileDir
from dropbox_server.files.download import FileNotFound, OpenedFile, open_file, plaintext_chunks
from dropbox_server.files.meta import FileMeta
from dropbox_server.files.strip import can_strip, strip_metadata
from dropbox_server.files.upload import Recipients, UploadBatch
from dropbox_server.reports.access import Case, load_case
from dropbox_server.reports.authenticity import reply_files_part
from dropbox_server.reports.case_actions import MessageError
from dropbox_server.reports.casework import reply_item
from dropbox_server.store import Database
from dropbox_server.store import casework as casework_store
from dropbox_server.store import files as file_store

DOWNLOAD_ACTION = "file_download"


async def reply_recipients(db: Database, case: Case) -> Recipients:
    """A reply's files are sealed to the report (the unit) and to the reporter's receipt key.

    Security: both keys only once the report's certificate covers them (custody/certify.py).
    """
    reporter = await certify.reporter_public(db, case.report)
    return Recipients(case.report.id, case.report.report_public_key, reporter)


async def case_files(db: Database, disk: FileDir, staff: UnlockedStaff, report_id: str) -> list[OpenedFile]:
    """Every file of a report in the caller's unit, names and sizes opened."""
    case = await load_case(db, staff, report_id)
    rows = await file_store.files_of_report(db, case.report.seq)
    return [open_file(disk, case.report.id, r, r.key_for_unit, _opener(case, r.key_for_unit)) for r in rows]


async def _open_case_file(
    db: Database, disk: FileDir, staff: UnlockedStaff, report_id: str, file_id: str
) -> tuple[str, OpenedFile]:
    """The report's id as stored and the opened file; raises CaseNotFound or FileNotFound."""
    case = await load_case(db, staff, report_id)
    row = await file_store.get_file(db, case.report.seq, file_id)
    if row is None:
        raise FileNotFound(file_id)
    return case.report.id, open_file(
        disk, case.report.id, row, row.key_for_unit, _opener(case, row.key_for_unit)
    )


def _opener(case: Case, sealed: bytes) -> bytes:
    """The report key (of any generation) that opens a file's key; the newest if none does,
    so open_file reports the file as damaged exactly as before."""
    try:
        return case.keys.opener(sealed)[0]
    except envelope.EnvelopeError:
        return case.report_key


async def _audit_download(db: Database, staff: UnlockedStaff, report_id: str, detail: str) -> None:
    await audit.record(
        db, audit.pending(DOWNLOAD_ACTION, staff=staff.staff, report_id=report_id, detail=detail)
    )


async def case_file(
    db: Database, disk: FileDir, staff: UnlockedStaff, report_id: str, file_id: str
) -> OpenedFile:
    """One file of a report in the caller's unit, ready to stream; the download is audited."""
    stored_id, opened = await _open_case_file(db, disk, staff, report_id, file_id)
    await _audit_download(db, staff, stored_id, f"file={file_id}")
    return opened


async def clean_copy(
    db: Database,
    disk: FileDir,
    staff: UnlockedStaff,
    report_id: str,
    file_id: str,
    one_at_a_time: asyncio.Semaphore,
) -> tuple[FileMeta, bytes]:
    """A copy of one file with its metadata removed (strip.py); audited once it exists.

    Raises FileNotFound when the file has no clean copy (not a JPEG, PNG or PDF, or too
    large), FileDamaged, or CannotStrip; in each case nothing was handed over and nothing
    is logged (the audit log records what happened, not what was asked).
    """
    stored_id, opened = await _open_case_file(db, disk, staff, report_id, file_id)
    if not can_strip(opened.meta.kind, opened.meta.size):
        raise FileNotFound(file_id)
    async with one_at_a_time:
        data = bytearray()
        async for chunk in plaintext_chunks(opened):
            data += chunk
        clean = await asyncio.to_thread(strip_metadata, opened.meta.kind, bytes(data))
    await _audit_download(db, staff, stored_id, f"file={file_id} metadata-removed")
    return opened.meta, clean


async def reply_with_files(
    db: Database,
    staff: UnlockedStaff,
    report_id: str,
    text: str,
    limit: int,
    day: str,
    attachments: UploadBatch,
) -> int:
    """A reply through the receipt carrying files; text may be empty when files are attached.

    Security: the files are moved into place just before the one transaction that stores
    the reply, its files and its audit entry; the case is loaded again here, so a report
    passed to another unit while the files were uploading is refused (CaseNotFound).
    """
    case = await load_case(db, staff, report_id)
    if case.report.is_package:
        raise MessageError("no_reporter")  # a package has no receipt to reply through
    if case.report.id != attachments.recipients.report_id:
        raise ValueError("these files were encrypted for another report")
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned and attachments.count == 0:
        raise MessageError("empty")
    if len(cleaned) > limit:
        raise MessageError("too_long")
    signer = await current_signer(db, case.report.unit_id, staff.unit_keys)
    await certify.reporter_public(db, case.report)
    entry = audit.pending(
        "reply", staff=staff.staff, report_id=case.report.id, detail=f"files={attachments.count}"
    )
    files = await attachments.make_durable()
    # Signed after the files are in place: the signature covers each file's id and keys.
    item = reply_item(case.report, staff.staff.id, cleaned, signer, day, reply_files_part(files))
    item_id = await file_store.add_item_with_files(db, case.report.seq, item, day, files, entry)
    attachments.committed()
    await casework_store.mark_read(db, staff.staff.id, case.report.seq)
    return item_id
