"""Files that go with an intelligence package: the analyst chooses, approval delivers clean copies.

An analyst ticks which of the source report's files go with a draft; only files that can be
cleaned (JPEG, PNG, PDF within files.strip's limits) can be chosen. At approval each chosen
file is decrypted at the desk, its metadata removed in the worker process (files.strip), and
the clean copy encrypted chunk by chunk as a NEW file under a fresh file key sealed to the
package's key, in the same transaction that delivers the package. The receiving unit then
lists, downloads and passes it on as any file of its case.

Security (invariant 9): the force never receives the original file or the desk's ciphertext
of it: another file id, another key, only the clean bytes. The copy's name is neutral
("attachment-1.jpg"), because the reporter's own file name can identify them. Nothing is
made before approval, so a draft's files reach no one but the desk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from dropbox_server.config import FileLimits
from dropbox_server.custody.keyring import DESK_SUPERVISOR, UnlockedStaff
from dropbox_server.files.disk import FileDir
from dropbox_server.files.download import FileDamaged, OpenedFile, open_file, plaintext_chunks
from dropbox_server.files.strip import CannotStrip, can_strip, strip_metadata
from dropbox_server.files.upload import Recipients, UploadBatch
from dropbox_server.reports.packages import (
    CHECKLIST,
    PackageError,
    approve_draft,
    desk_case,
    open_draft,
    package_key_for,
)
from dropbox_server.store import Database
from dropbox_server.store import files as file_store
from dropbox_server.store import package_files as package_file_store
from dropbox_server.store.files import FileRow

# Only what the reporter sent can go with a package (not the desk's own replies).
REPORTER_KINDS = ("report", "reporter_message")
_CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
_WRITE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One of the source report's files as the analyst sees it on the draft page."""

    opened: OpenedFile
    choosable: bool  # a clean copy can be made of it
    chosen: bool


def _choosable(opened: OpenedFile) -> bool:
    return can_strip(opened.meta.kind, opened.meta.size)


async def _source_files(
    db: Database, disk: FileDir, staff: UnlockedStaff, report_id: str
) -> list[OpenedFile]:
    case = await desk_case(db, staff, report_id)
    rows = await file_store.files_of_report(db, case.report.seq, REPORTER_KINDS)
    return [open_file(disk, case.report.id, r, r.key_for_unit, case.report_key) for r in rows]


async def source_files(
    db: Database, disk: FileDir, staff: UnlockedStaff, report_id: str, draft_id: int | None = None
) -> list[SourceFile]:
    """The reporter's files of a desk report, which can be chosen, and which a draft chose."""
    chosen = set(await package_file_store.chosen_file_ids(db, draft_id)) if draft_id is not None else set()
    return [
        SourceFile(f, _choosable(f), f.row.id in chosen)
        for f in await _source_files(db, disk, staff, report_id)
    ]


async def choose_files(
    db: Database, disk: FileDir, staff: UnlockedStaff, draft_id: int, file_ids: Iterable[str]
) -> None:
    """Save the author's choice of files for a draft; raises PackageError("files") for any
    file that is not the reporter's, or of which no clean copy can be made."""
    opened = await open_draft(db, staff, draft_id)
    if opened.draft.author_staff_id != staff.staff.id:
        raise PackageError("not_author")
    wanted = set(file_ids)
    allowed = {f.row.id for f in await _source_files(db, disk, staff, opened.source.id) if _choosable(f)}
    if not wanted <= allowed:
        raise PackageError("files")
    if not await package_file_store.choose_files(db, draft_id, sorted(wanted)):
        raise PackageError("not_draft")


def copy_name(position: int, kind: str) -> str:
    """A neutral name for a delivered copy: the reporter's own file name stays at the desk."""
    return f"attachment-{position}.{'jpg' if kind == 'jpeg' else kind}"


async def _plaintext(opened: OpenedFile) -> bytes:
    # The cleaner needs the whole file (as for the desk's own clean downloads); can_strip
    # bounds it at files.strip.STRIP_MAX_BYTES.
    data = bytearray()
    async for chunk in plaintext_chunks(opened):
        data += chunk
    return bytes(data)


async def _clean_into(
    batch: UploadBatch, opened: OpenedFile, position: int, cleaning: asyncio.Semaphore
) -> None:
    if not _choosable(opened):
        raise PackageError("files")
    async with cleaning:
        clean = await asyncio.to_thread(strip_metadata, opened.meta.kind, await _plaintext(opened))
    kind = opened.meta.kind
    sink = await batch.begin(copy_name(position, kind), _CONTENT_TYPES[kind])
    view = memoryview(clean)
    for start in range(0, len(view), _WRITE_BYTES):
        await sink.write(bytes(view[start : start + _WRITE_BYTES]))
    await sink.finish()


def _ready_to_approve(staff: UnlockedStaff, state: str, author: int | None, ticked: set[str]) -> bool:
    """Cheap checks first, so no one but an entitled supervisor sets the cleaner to work."""
    return (
        staff.staff.role == DESK_SUPERVISOR
        and author != staff.staff.id
        and state == "submitted"
        and set(CHECKLIST) <= ticked
    )


async def approve_with_files(
    db: Database,
    disk: FileDir,
    limits: FileLimits,
    cleaning: asyncio.Semaphore,
    staff: UnlockedStaff,
    draft_id: int,
    ticked: set[str],
    version: int,
    day: str,
) -> str:
    """Approve a draft (reports.packages.approve_draft) with clean copies of its chosen files.

    Security: each copy is a new file under a fresh key sealed to the package's public key,
    the key the receiving unit is given (never the desk-only draft key); the copies are
    durable before the one transaction that delivers the package and names them, and removed
    if that does not commit.
    """
    opened = await open_draft(db, staff, draft_id)
    draft = opened.draft
    chosen = await package_file_store.chosen_file_ids(db, draft.id)
    if not chosen or not _ready_to_approve(staff, draft.state, draft.author_staff_id, ticked):
        return await approve_draft(db, staff, draft_id, ticked, version, day)  # refuses with its reason
    case = await desk_case(db, staff, opened.source.id)
    rows: list[FileRow] = []
    for file_id in chosen:
        row = await file_store.get_file(db, case.report.seq, file_id)
        if row is None or row.item_kind not in REPORTER_KINDS:
            raise PackageError("files")
        rows.append(row)
    if draft.version != version:
        raise PackageError("stale")  # before any file work; approve_draft checks again
    package_key, force_public = await package_key_for(db, draft)
    recipients = Recipients(draft.package_id, force_public)
    async with UploadBatch(disk, recipients, limits) as batch:
        try:
            for position, row in enumerate(rows, start=1):
                source = open_file(disk, case.report.id, row, row.key_for_unit, case.report_key)
                await _clean_into(batch, source, position, cleaning)
        except CannotStrip:
            raise PackageError("file_not_cleaned") from None
        except FileDamaged:
            raise PackageError("file_damaged") from None
        copies = await batch.make_durable()
        package_id = await approve_draft(db, staff, draft_id, ticked, version, day, copies, package_key)
        batch.committed()
    return package_id
