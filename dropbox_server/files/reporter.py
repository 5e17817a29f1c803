"""The reporter's side of attachments: the files in the unit's replies, opened with the receipt key.

Security: only files on the unit's replies carry a key sealed to the reporter; what the
reporter sent is never offered back (the thread shows as little as possible to someone
who forces a reporter to hand over a receipt), and a file id of any other report, or of
the reporter's own uploads, is not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server.files.disk import FileDir
from dropbox_server.files.download import FileNotFound, OpenedFile, open_file
from dropbox_server.store import Database
from dropbox_server.store import files as file_store

REPLY_KIND = "unit_reply"


@dataclass(frozen=True)
class ReplyFile:
    """An attachment as the reporter's thread lists it."""

    id: str
    name: str
    size: int


async def reply_files(
    db: Database, disk: FileDir, report_id: str, seq: int, reporter_private: bytes
) -> dict[int, tuple[ReplyFile, ...]]:
    """The files of each unit reply (by item id), names opened with the reporter's key."""
    out: dict[int, list[ReplyFile]] = {}
    for row in await file_store.files_of_report(db, seq, (REPLY_KIND,)):
        if row.key_for_reporter is None:
            continue
        opened = open_file(disk, report_id, row, row.key_for_reporter, reporter_private)
        out.setdefault(row.item_id, []).append(ReplyFile(row.id, opened.meta.name, opened.meta.size))
    return {item_id: tuple(files) for item_id, files in out.items()}


async def reporter_file(
    db: Database, disk: FileDir, report_id: str, seq: int, reporter_private: bytes, file_id: str
) -> OpenedFile:
    """One file of a unit reply, for the reporter; raises FileNotFound for anything else."""
    row = await file_store.get_file(db, seq, file_id)
    if row is None or row.item_kind != REPLY_KIND or row.key_for_reporter is None:
        raise FileNotFound(file_id)
    return open_file(disk, report_id, row, row.key_for_reporter, reporter_private)
