"""What phone intake keeps between two requests: a caller's open receipt, briefly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dropbox_server.reports.reporter_access import ReporterAccess
from dropbox_server.sessions import SessionStore

# A caller's receipt stays open for one follow-up, for at most this long.
CALL_IDLE_SECONDS = 10 * 60
CALL_ABSOLUTE_SECONDS = 20 * 60
MAX_OPEN_CALLS = 200


@dataclass(frozen=True, repr=False)
class OpenCall:
    """A receipt a caller read out, opened for the handler who typed it and nobody else.

    Security: held in memory only, reachable only through a random token in the handler's
    own form (never a URL or cookie), and dropped after one follow-up or on "end call".
    """

    staff_id: int
    access: ReporterAccess

    def __repr__(self) -> str:
        return "OpenCall(<redacted>)"


def open_calls_store(clock: Any) -> SessionStore[Any]:
    """Where open calls are kept: in memory, each for one follow-up within a short window."""
    return SessionStore[Any](CALL_IDLE_SECONDS, CALL_ABSOLUTE_SECONDS, MAX_OPEN_CALLS, clock=clock)
