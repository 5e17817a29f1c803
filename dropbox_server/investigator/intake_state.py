"""What phone intake keeps between two requests: a caller's open receipt, briefly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from dropbox_server.reports.reporter_access import ReporterAccess
from dropbox_server.sessions import SessionStore
from dropbox_server.throttle import TokenBucket

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


OPEN_CALLS = web.AppKey("open_calls", SessionStore[Any])
CALLER_RECEIPT_THROTTLE = web.AppKey("caller_receipt_throttle", TokenBucket)


def open_calls_store(clock: Any) -> SessionStore[Any]:
    return SessionStore[Any](CALL_IDLE_SECONDS, CALL_ABSOLUTE_SECONDS, MAX_OPEN_CALLS, clock=clock)
