"""Case file export: everything a unit holds on one of its cases, for its own case system.

Gathers what the report page shows (every field, the thread, notes, outcomes, history,
transfers) and the case's files, and audits the export. For an intelligence package the
export is the package, as the force sees it: never the reporter's words or files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from dropbox_server import audit, envelope
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.files.disk import FileDir
from dropbox_server.files.download import OpenedFile, plaintext_chunks
from dropbox_server.reports import relay
from dropbox_server.reports.case_file import CaseFile, open_case
from dropbox_server.reports.case_files import case_files
from dropbox_server.reports.relay import RelayMessage
from dropbox_server.store import Database

EXPORT_ACTION = "case_export"


@dataclass(frozen=True)
class FileLine:
    """One exported file as the PDF lists it: its name, its path in the archive, size, SHA-256."""

    name: str
    archive_name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class CaseExport:
    """One case as exported: the opened case, its files (to stream), its relay, who and when."""

    case: CaseFile
    files: tuple[OpenedFile, ...]
    relay: tuple[RelayMessage, ...]
    exported_by: str
    day: str


async def export_case(
    db: Database, disk: FileDir, staff: UnlockedStaff, report_id: str, day: str
) -> CaseExport:
    """Open a case of the caller's unit for export, and audit it (file count only).

    Raises access.CaseNotFound / RoleNotAllowed as opening it for the report page does.
    Security: starts from open_case, so the unit and key checks are those of the report
    page; a package carries no file of the reporter's, so none can be exported with it.
    """
    case = await open_case(db, staff, report_id)
    report = case.opened.report
    files = () if report.is_package else tuple(await case_files(db, disk, staff, report.id))
    messages = await relay.package_messages(db, staff, report.id) if report.is_package else ()
    await audit.record(
        db,
        audit.pending(EXPORT_ACTION, staff=staff.staff, report_id=report.id, detail=f"files={len(files)}"),
    )
    return CaseExport(case, files, tuple(messages), staff.staff.username, day)


async def hashed_chunks(opened: OpenedFile, archive_name: str, done: list[FileLine]) -> AsyncIterator[bytes]:
    """The file's plaintext record by record; once it has all passed, its line (with the
    SHA-256 of exactly what was yielded) is appended to `done`. Raises files.FileDamaged."""
    digest = envelope.Sha256()
    async for chunk in plaintext_chunks(opened):
        digest.update(chunk)
        yield chunk
    done.append(FileLine(opened.meta.name, archive_name, opened.meta.size, digest.hexdigest()))
