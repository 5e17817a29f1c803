"""Server-side sessions kept in memory only: nothing about a session ever reaches the disk."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


class SessionsFull(Exception):
    """The cap on live sessions is reached; the caller answers 503 with a friendly page."""


@dataclass
class Session(Generic[T]):
    """One live session: an opaque id, its payload and its clocks."""

    id: str
    payload: T
    created: float
    last_seen: float
    csrf_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))


class SessionStore(Generic[T]):
    """Sessions by random id with idle and absolute expiry and a cap on how many live at once.

    Security: payloads (a reporter's private key, a signed-in investigator's unlocked keys)
    exist only in this process's memory; expiry and sign-out drop them at once.
    """

    def __init__(
        self,
        idle_seconds: int,
        absolute_seconds: int,
        max_live: int,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._idle = idle_seconds
        self._absolute = absolute_seconds
        self._max_live = max_live
        self._clock = clock
        self._sessions: dict[str, Session[T]] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, payload: T) -> Session[T]:
        self.sweep()
        if len(self._sessions) >= self._max_live:
            raise SessionsFull
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), payload, now, now)
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session[T] | None:
        """The live session for an id, touching its idle clock; None if unknown or expired."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self._clock()
        if self._expired(session, now):
            self.drop(session_id)
            return None
        session.last_seen = now
        return session

    def drop(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def drop_where(self, predicate: Callable[[T], bool]) -> int:
        """Drop every session whose payload matches; returns how many."""
        doomed = [sid for sid, s in self._sessions.items() if predicate(s.payload)]
        for sid in doomed:
            self.drop(sid)
        return len(doomed)

    def pop_where(self, predicate: Callable[[T], bool]) -> list[T]:
        """Drop every session whose payload matches; returns their payloads (to wipe them)."""
        doomed = [(sid, s.payload) for sid, s in self._sessions.items() if predicate(s.payload)]
        for sid, _ in doomed:
            self.drop(sid)
        return [payload for _, payload in doomed]

    def sweep(self) -> None:
        """Drop every expired session."""
        now = self._clock()
        for sid in [sid for sid, s in self._sessions.items() if self._expired(s, now)]:
            self.drop(sid)

    def _expired(self, session: Session[T], now: float) -> bool:
        return now - session.last_seen > self._idle or now - session.created > self._absolute
