"""Receiving attachments: each file encrypted chunk by chunk into files/tmp/ as it arrives.

Security: a fresh key per file, sealed to the report's public key (and, for a unit's
reply, to the reporter's as well), like every other item. The name and type are
encrypted; the size on disk is padded. Until the submission commits, files exist only
in tmp/ and are removed when anything goes wrong, including a client that disconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType

from dropbox_server import envelope, filecrypt
from dropbox_server.config import FileLimits
from dropbox_server.files.disk import FileDir
from dropbox_server.files.meta import (
    FileMeta,
    clean_content_type,
    clean_name,
    detect_kind,
    file_context,
    new_file_id,
)
from dropbox_server.store.errors import StorageFull, is_no_space
from dropbox_server.store.files import NewFile


@dataclass(frozen=True)
class Recipients:
    """Which report the files belong to, and whose public keys their keys are sealed to."""

    report_id: str
    report_public_key: bytes
    reporter_public_key: bytes | None = None


@contextlib.contextmanager
def _no_space_is_storage_full() -> Iterator[None]:
    """A full disk while writing a file becomes StorageFull (the batch then removes it)."""
    try:
        yield
    except OSError as exc:
        if is_no_space(exc):
            raise StorageFull from exc
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    with _no_space_is_storage_full():
        while view:
            written = os.write(fd, view)
            view = view[written:]


class EncryptingSink:
    """One file on its way in: every chunk is encrypted before it is written."""

    def __init__(self, disk: FileDir, recipients: Recipients, name: str, content_type: str):
        self.file_id = new_file_id()
        self._recipients = recipients
        self._name = name
        self._content_type = content_type
        self._key = envelope.random_key()
        self._context = file_context(recipients.report_id, self.file_id)
        self._sealer = filecrypt.FileSealer(self._key, self._context)
        self._kind: str | None = None
        with _no_space_is_storage_full():
            self._fd: int | None = disk.create_temp(self.file_id)
        try:
            _write_all(self._fd, self._sealer.header)
        except BaseException:
            self.close()
            disk.remove([self.file_id])
            raise
        self.stored: NewFile | None = None

    async def write(self, chunk: bytes) -> None:
        if self._fd is None:
            raise ValueError("this file is closed")
        if self._kind is None:
            self._kind = detect_kind(chunk)
        _write_all(self._fd, self._sealer.push(chunk))

    async def finish(self) -> None:
        """Write the end and padding records, fsync, and seal the key and metadata."""
        if self._fd is None:
            raise ValueError("this file is closed")
        for record in self._sealer.finish():
            _write_all(self._fd, record)
        with _no_space_is_storage_full():
            await asyncio.to_thread(os.fsync, self._fd)
        self.close()
        meta = FileMeta(self._name, self._content_type, self._sealer.plaintext_bytes, self._kind or "")
        r = self._recipients
        self.stored = NewFile(
            id=self.file_id,
            stored_bytes=self._sealer.sealed_size,
            meta_ciphertext=filecrypt.seal_file_meta(self._key, meta.to_bytes(), self._context),
            key_for_unit=envelope.seal(r.report_public_key, self._key),
            key_for_reporter=envelope.seal(r.reporter_public_key, self._key)
            if r.reporter_public_key is not None
            else None,
        )

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass
class UploadBatch:
    """The attachments of one submission; use as `async with` so failures keep nothing.

    Security: on leaving the block without `committed()`, every file of the batch is
    removed (tmp/ or, after `make_durable`, files/). A crash is covered by the start-up
    sweep (disk.FileDir.sweep).
    """

    disk: FileDir
    recipients: Recipients
    limits: FileLimits
    _sinks: list[EncryptingSink] = field(default_factory=list)
    _committed: bool = False
    _published: bool = False

    async def begin(self, filename: str, content_type: str) -> EncryptingSink:
        sink = EncryptingSink(
            self.disk,
            self.recipients,
            clean_name(filename, self.limits.name_chars),
            clean_content_type(content_type),
        )
        self._sinks.append(sink)
        return sink

    @property
    def count(self) -> int:
        return len(self._sinks)

    async def make_durable(self) -> list[NewFile]:
        """Move every finished file into place, durably; call just before the commit."""
        files = [s.stored for s in self._sinks]
        if any(f is None for f in files):
            raise ValueError("an upload in this batch did not finish")
        self._published = True
        await self.disk.publish(s.file_id for s in self._sinks)
        return [f for f in files if f is not None]

    def committed(self) -> None:
        """The database now names these files: keep them."""
        self._committed = True

    def discard(self) -> None:
        for sink in self._sinks:
            sink.close()
        self.disk.remove(s.file_id for s in self._sinks)
        self._sinks.clear()

    async def __aenter__(self) -> UploadBatch:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._committed:
            return
        if self._published and kind is not None and issubclass(kind, asyncio.CancelledError):
            # Cancelled while the commit was in flight: it may have landed. Leave the
            # ciphertext for the start-up sweep, which keeps it only if a row names it.
            return
        self.discard()
