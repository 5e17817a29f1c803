"""The files/ folder: ciphertext under files/<id>, uploads in progress under files/tmp/.

Crash ordering. A file's ciphertext is written to files/tmp/<id> and fsynced as it
finishes. When its submission commits, it is first renamed to files/<id> and the folder
fsynced, and only then does the database transaction that names it commit. So:
- crash before the rename: the file is in tmp/, which start-up empties;
- crash after the rename, before the commit: files/<id> is named by no row, and start-up
  removes it;
- after the commit: the file is durably in place, so an acknowledged submission (the
  receipt, or "sent", is shown only after the commit) never loses a file.
Everything here is ciphertext; plaintext never reaches this folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import BinaryIO

from dropbox_server.files.meta import is_file_id

# StorageFull is re-exported for the web layer, which may not import the store: it is what a
# write that ran out of room (a file here, or the database) raises after undoing itself.
from dropbox_server.store.errors import StorageFull as StorageFull
from dropbox_server.store.errors import is_no_space

log = logging.getLogger("tipdrop.files")


def day_timestamp() -> float:
    """Midnight UTC today as a POSIX time: the only time a ciphertext file shows."""
    return datetime.combine(datetime.now(UTC).date(), time(), UTC).timestamp()


def open_for_reading(path: Path) -> BinaryIO:
    """Open a ciphertext file to read without moving its access time (O_NOATIME).

    Security: a download would otherwise stamp the file with the second it was read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOATIME", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError:  # O_NOATIME needs the file's owner; fall back rather than fail
        fd = os.open(path, os.O_RDONLY)
    return os.fdopen(fd, "rb")


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileDir:
    """The folder of encrypted attachments of one data directory."""

    def __init__(self, root: Path):
        self.root = root
        self.tmp = root / "tmp"

    def ensure(self) -> None:
        for folder in (self.root, self.tmp):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)

    def path(self, file_id: str) -> Path:
        if not is_file_id(file_id):
            raise ValueError("not a file id")
        return self.root / file_id

    def temp_path(self, file_id: str) -> Path:
        if not is_file_id(file_id):
            raise ValueError("not a file id")
        return self.tmp / file_id

    def create_temp(self, file_id: str) -> int:
        """A new 0600 file in tmp/ for one upload; never an existing one."""
        self.ensure()
        return os.open(self.temp_path(file_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    async def publish(self, file_ids: Iterable[str]) -> None:
        """Rename finished uploads into place and make the renames durable (before the commit).

        Security: each file's access and modification times, and the folder's, are set to
        midnight UTC of the day, so they tell no more than the day stored in the database.
        What cannot be set from here: a file's change time (ctime, set by the kernel to the
        moment of this very call) and the order of inode numbers; both show when, and in
        which order, files were written to anyone who reads the file system itself rather
        than a copy of the files (see the README).
        """
        ids = list(file_ids)
        if not ids:
            return
        day = day_timestamp()
        try:
            for file_id in ids:
                os.utime(self.temp_path(file_id), (day, day))
                os.rename(self.temp_path(file_id), self.path(file_id))
            os.utime(self.root, (day, day))
            await asyncio.to_thread(fsync_dir, self.root)
        except OSError as exc:
            if is_no_space(exc):
                raise StorageFull from exc
            raise

    def remove(self, file_ids: Iterable[str]) -> None:
        """Delete uploads that will not be committed, wherever they are."""
        for file_id in file_ids:
            for path in (self.temp_path(file_id), self.path(file_id)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def sweep(self, referenced: set[str]) -> int:
        """At start-up: empty tmp/ and remove every file in files/ that no row names.

        Security: keeps invariant 6's "a crash leaves no orphan"; runs before any upload
        can be in progress, so it never races one.
        """
        self.ensure()
        removed = 0
        for path in list(self.tmp.iterdir()):
            if path.is_file() or path.is_symlink():
                path.unlink()
                removed += 1
        for path in list(self.root.iterdir()):
            if path.name != "tmp" and (path.is_file() or path.is_symlink()) and path.name not in referenced:
                path.unlink()
                removed += 1
        if removed:
            fsync_dir(self.tmp)
            fsync_dir(self.root)
            log.info("start-up sweep removed %d unfinished or unreferenced attachment files", removed)
        return removed
