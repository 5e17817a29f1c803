"""Admitting uploads: a CSRF check before the first byte, a cap on uploads at once, a free-space
watermark, and a cap on file bytes accepted per hour across the site.

Before this, files were streamed to disk before the form's token and the throttle were
checked: three posts with a bad token and 300 MiB each wrote 912 MiB before their 403s.
Now a request's files are admitted (or refused) when its first file part arrives, which is
after the token's part (browsers send fields in document order and the token comes first),
and every file byte is charged to the hourly budget before it is written.

Security: a refused request writes nothing (its later file parts are read and dropped);
the disk keeps `free_space_watermark_bytes` free for the database, replies and the files
of uploads already admitted, whose declared sizes are reserved while they run.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from dropbox_server.config import UploadLimits


class FilesRefused(Exception):
    """This request's files are not accepted: "csrf", "busy" (too many, or the hourly budget
    is spent) or "disk" (below the free-space watermark, or the disk is full)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class _ByteBudget:
    """A token bucket of bytes: `per_hour` at most in any hour, refilled continuously."""

    def __init__(self, per_hour: int, clock: Callable[[], float]):
        self._capacity = float(per_hour)
        self._rate = per_hour / 3600.0
        self._tokens = float(per_hour)
        self._clock = clock
        self._last = clock()

    def available(self) -> float:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
        self._last = now
        return self._tokens

    def take(self, count: int) -> bool:
        if self.available() < count:
            return False
        self._tokens -= count
        return True


class UploadGate:
    """One site's admission of uploads; shared by its requests (an AppKey), never global."""

    def __init__(
        self,
        limits: UploadLimits,
        files_dir: Path,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limits = limits
        self._dir = files_dir
        self._budget = _ByteBudget(limits.bytes_per_hour, clock)
        self.active = 0
        self._reserved = 0

    def request(self, declared: int, token_ok: Callable[[str], bool]) -> FileAdmission:
        """Admission for one request that may carry up to `declared` bytes of files."""
        return FileAdmission(self, declared, token_ok)

    def refusing(self, reason: str, token_ok: Callable[[str], bool]) -> FileAdmission:
        """An admission that refuses every file (the request was refused before its body)."""
        return FileAdmission(self, 0, token_ok, refused=reason)

    def take_slot(self, declared: int) -> None:
        """Hold an upload slot and reserve `declared` bytes of disk, or raise FilesRefused."""
        if self.active >= self.limits.concurrent_uploads:
            raise FilesRefused("busy")
        if self._budget.available() < min(declared, self.limits.bytes_per_hour):
            raise FilesRefused("busy")
        free = shutil.disk_usage(self._dir).free - self._reserved - declared
        if free < self.limits.free_space_watermark_bytes:
            raise FilesRefused("disk")
        self.active += 1
        self._reserved += declared

    def release_slot(self, declared: int) -> None:
        self.active -= 1
        self._reserved -= declared

    def charge(self, count: int) -> None:
        """Take `count` bytes from the hourly budget, or raise FilesRefused("busy")."""
        if not self._budget.take(count):
            raise FilesRefused("busy")


class FileAdmission:
    """One request's admission, decided at its first file; use as `with` to release it."""

    def __init__(
        self, gate: UploadGate, declared: int, token_ok: Callable[[str], bool], refused: str | None = None
    ):
        self._gate = gate
        self._declared = declared
        self._token_ok = token_ok
        self._verdict: bool | None = None
        self._admitted = False
        self.refused = refused

    def token_ok(self, token: str) -> bool:
        """The form's CSRF verdict, checked once (a single-use token is spent only once)."""
        if self._verdict is None:
            self._verdict = self._token_ok(token)
        return self._verdict

    def admit(self, token: str) -> None:
        """Before the first file byte is written: raises FilesRefused, or holds a slot."""
        if self.refused is not None:
            raise FilesRefused(self.refused)
        if self._admitted:
            return
        if not self.token_ok(token):
            raise FilesRefused("csrf")
        self._gate.take_slot(self._declared)
        self._admitted = True

    def charge(self, count: int) -> None:
        """Count file bytes against the site's hourly budget before they are written."""
        self._gate.charge(count)

    def close(self) -> None:
        if self._admitted:
            self._admitted = False
            self._gate.release_slot(self._declared)

    def __enter__(self) -> FileAdmission:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
