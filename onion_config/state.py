"""What `serve` last saw of tor, in a small file that `run.py status` reads from another process.

`serve` holds an exclusive lock on ``serve.lock`` for as long as it runs, so a reader can
tell a live record from one a stopped (or crashed) `serve` left behind, and a second
`serve` on the same data directory is refused instead of fighting over the onions.

Security: the record holds no content, no address and no time finer than a day: whether
tor is up, whether each onion's descriptor reached the network, how many investigator
clients are authorised and how often tor was restarted. Written 0600, atomically.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from onion_config.errors import TorError


def utc_day() -> str:
    """Today in UTC as YYYY-MM-DD: the only time this package ever records."""
    return datetime.datetime.now(datetime.UTC).date().isoformat()


@dataclass(frozen=True)
class OnionState:
    """Tor as `serve` sees it right now."""

    mode: str  # "launch", "attach" or "testnet"
    tor_up: bool
    reporter_published: bool
    investigator_published: bool
    investigator_clients: int
    tor_restarts: int
    day: str


def write_state(path: Path, state: OnionState) -> None:
    """Replace the record atomically (readers see the old or the new one, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            json.dump(asdict(state), handle)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_state(path: Path) -> OnionState | None:
    """The last record, or None if there is none or it cannot be read."""
    try:
        raw = json.loads(path.read_text(encoding="ascii"))
        return OnionState(**raw) if isinstance(raw, dict) else None
    except (OSError, ValueError, TypeError):
        return None


class ServeLock:
    """Held by a running `serve` (one per data directory); tells `status` that it is alive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> ServeLock:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise TorError(
                "another `serve` is already publishing this data directory's onions; "
                "stop it first"
            ) from None
        self._fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def serve_is_running(lock_path: Path) -> bool:
    """True while some process holds the `serve` lock of this data directory."""
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock we may have taken
    return False
