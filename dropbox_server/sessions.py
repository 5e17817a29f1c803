"""Server-side sessions kept in memory only: nothing about a session ever reaches the disk."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


class SessionsFull(Exception):
    """The cap on live sessions is reached; the caller answers 503 with a friendly page."""


@dataclass
class Session(Generic[T]):
    """One live session: an opaque id, its payload, its clocks and what it belongs to."""

    id: str
    payload: T
    created: float
    last_seen: float
    csrf_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    owner: str | None = None


class SessionStore(Generic[T]):
    """Sessions by random id with idle and absolute expiry and a cap on how many live at once.

    A session may name an owner (a reporter session: its report's stable id); an owner has
    at most one live session, so opening a new one ends the older. When the cap is reached a
    store made with `evict_when_full` ends the least recently used session instead of
    refusing the new one (the reporter site: a flood of check-backs must not lock every
    reporter out); otherwise `create` raises SessionsFull.
    Security: payloads (a reporter's private key, a signed-in investigator's unlocked keys)
    exist only in this process's memory; expiry and sign-out drop them at once.
    """

    def __init__(
        self,
        idle_seconds: int,
        absolute_seconds: int,
        max_live: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        evict_when_full: bool = False,
    ):
        self._evict_when_full = evict_when_full
        self._idle = idle_seconds
        self._absolute = absolute_seconds
        self._max_live = max_live
        self._clock = clock
        # Least recently used first: get() moves a session to the end.
        self._sessions: OrderedDict[str, Session[T]] = OrderedDict()
        self._by_owner: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, payload: T, owner: str | None = None) -> Session[T]:
        """A new session; with `owner`, the owner's older session (if any) ends first."""
        if owner is not None:
            self.drop_owner(owner)
        self.sweep()
        while len(self._sessions) >= self._max_live:
            if not self._evict_when_full:
                raise SessionsFull
            self.drop(next(iter(self._sessions)))  # the least recently used
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), payload, now, now, owner=owner)
        self._sessions[session.id] = session
        if owner is not None:
            self._by_owner[owner] = session.id
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
        self._sessions.move_to_end(session_id)
        return session

    def drop(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        owner = session.owner if session is not None else None
        if owner is not None and self._by_owner.get(owner) == session_id:
            del self._by_owner[owner]

    def drop_owner(self, owner: str) -> None:
        """End the live session of an owner, if there is one (e.g. a withdrawn report's)."""
        session_id = self._by_owner.get(owner)
        if session_id is not None:
            self.drop(session_id)

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
