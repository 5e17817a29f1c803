"""Session-wide leak check: what the suite's reporters typed must be nowhere on the server side.

Journeys remember every value they send and every receipt they get; at the end of the run one
test scans every server data directory the suite created, the servers' log files, what was
logged in this process, and files the run left in the system temp directory.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from tests.scan import Needles, scan_with

NOT_SECRET = {"force", "conduct", "contact_choice", "contact_scope", "conflict", "csrf_token"}
MIN_LENGTH = 8

remembered: set[str] = set()
started = time.time()


class _KeepMessages(logging.Handler):
    """Keeps every log message of the run (bounded), to be searched at the end."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < 200_000:
            self.messages.append(record.getMessage() + (self.format(record) if record.exc_info else ""))


log_keeper = _KeepMessages()


def remember(*values: str) -> None:
    """Note text a reporter sent (or a receipt) so the final scan looks for it."""
    remembered.update(v for v in values if len(v.strip()) >= MIN_LENGTH)


def remember_fields(fields: dict[str, str]) -> None:
    remember(*(v for k, v in fields.items() if k not in NOT_SECRET))


def server_folders(base: Path) -> list[Path]:
    """Every data directory (it holds a pepper) and server log the suite created under `base`."""
    return sorted({p.parent for p in base.rglob("pepper.key")})


def fresh_temp_files() -> list[Path]:
    """Files in the system temp directory's top level written during this run."""
    root = Path(tempfile.gettempdir())
    return [p for p in root.iterdir() if p.is_file() and p.stat().st_mtime >= started]


def leaks(base: Path) -> list[tuple[str, str]]:
    finder = Needles(sorted(remembered))
    hits = scan_with(finder, server_folders(base))
    hits += scan_with(finder, sorted({p.parent for p in base.rglob("server.log")}))
    for path in fresh_temp_files():
        hits += [(str(path), n) for n in sorted(finder.found_in(path.read_bytes()))]
    logged = "\n".join(log_keeper.messages).encode("utf-8", "surrogatepass")
    hits += [("log", n) for n in sorted(finder.found_in(logged))]
    return hits
