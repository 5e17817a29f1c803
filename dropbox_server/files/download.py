"""Reading attachments back: open a file's key and metadata, then decrypt it record by record.

Security: the plaintext exists only in memory, a few records at a time, on its way to the
reader; a damaged, altered or truncated file raises envelope.EnvelopeError at the first
bad record, so no one is ever handed corrupt data as if it were the file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dropbox_server import envelope, filecrypt
from dropbox_server.files.disk import FileDir, open_for_reading
from dropbox_server.files.meta import FileMeta, file_context
from dropbox_server.store import Database
from dropbox_server.store import files as file_store
from dropbox_server.store.files import FileRow

_RECORDS_PER_READ = 16  # 1 MiB of ciphertext and of plaintext in memory at a time


class FileNotFound(Exception):
    """No such attachment for this reader (another report's looks exactly the same)."""


class FileDamaged(Exception):
    """The stored attachment is missing, damaged or altered; nothing of it is served."""


@dataclass(frozen=True, repr=False)
class OpenedFile:
    """An attachment ready to stream: where it is, its key, context and metadata."""

    row: FileRow
    meta: FileMeta
    key: bytes
    context: bytes
    path: Path

    def __repr__(self) -> str:
        return f"OpenedFile({self.row.id})"


def open_file(
    disk: FileDir, report_id: str, row: FileRow, sealed_key: bytes, private_key: bytes
) -> OpenedFile:
    """Unseal a file's key with `private_key` (report or reporter key) and open its metadata."""
    context = file_context(report_id, row.id)
    try:
        key = envelope.unseal(private_key, sealed_key)
        meta = FileMeta.from_bytes(filecrypt.open_file_meta(key, row.meta_ciphertext, context))
    except (envelope.EnvelopeError, ValueError, KeyError) as exc:
        raise FileDamaged(row.id) from exc
    return OpenedFile(row=row, meta=meta, key=key, context=context, path=disk.path(row.id))


async def files_for_unit(
    db: Database, disk: FileDir, report_id: str, seq: int, report_key: bytes
) -> list[OpenedFile]:
    """Every attachment of a report, opened with the report's private key."""
    rows = await file_store.files_of_report(db, seq)
    return [open_file(disk, report_id, r, r.key_for_unit, report_key) for r in rows]


async def file_for_unit(
    db: Database, disk: FileDir, report_id: str, seq: int, report_key: bytes, file_id: str
) -> OpenedFile:
    """One attachment of a report for its unit; raises FileNotFound."""
    row = await file_store.get_file(db, seq, file_id)
    if row is None:
        raise FileNotFound(file_id)
    return open_file(disk, report_id, row, row.key_for_unit, report_key)


def _read(handle: BinaryIO) -> bytes:
    return handle.read(filecrypt.FILE_RECORD_BYTES * _RECORDS_PER_READ)


def _open_block(opener: filecrypt.FileOpener, block: bytes) -> bytes:
    view = memoryview(block)
    step = filecrypt.FILE_RECORD_BYTES
    return b"".join(opener.pull(bytes(view[start : start + step])) for start in range(0, len(block), step))


async def plaintext_chunks(opened: OpenedFile) -> AsyncIterator[bytes]:
    """The file's plaintext, up to 1 MiB at a time, verified as it goes.

    Raises FileDamaged on a missing file or any record that does not open, and when the
    file ends early or its length differs from the sealed metadata.
    """
    try:
        handle = await asyncio.to_thread(open_for_reading, opened.path)
    except OSError as exc:
        raise FileDamaged(opened.row.id) from exc
    try:
        opener = filecrypt.FileOpener(opened.key, handle.read(filecrypt.FILE_HEADER_BYTES), opened.context)
        size = 0
        # Reads go to a worker thread (the disk may be slow); decryption stays on the loop:
        # measured on 2 cores, handing it to threads too cost more than it overlapped.
        while block := await asyncio.to_thread(_read, handle):
            plain = _open_block(opener, block)
            if plain:
                size += len(plain)
                yield plain
        opener.close()
        if size != opened.meta.size:
            raise envelope.EnvelopeError("file length differs from its sealed metadata")
    except envelope.EnvelopeError as exc:
        raise FileDamaged(f"{opened.row.id}: {exc}") from exc
    finally:
        handle.close()
