"""What the investigator site keeps per app and per session, and how a request finds its staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from dropbox_server.custody.enrolment import KeyHolderNotice
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import SESSIONS

STAFF_COOKIE = "tipdrop_staff"


@dataclass(repr=False)
class StaffSession:
    """A signed-in member of staff: their unlocked keys, in this process's memory only."""

    unlocked: UnlockedStaff
    pending_totp: str | None = None
    notices: list[str] = field(default_factory=list)
    # New key holders in this member's unit, read at sign-in; shown until acknowledged.
    key_notices: list[KeyHolderNotice] = field(default_factory=list)
    # The audit chain the notices live in was broken or cut at sign-in: they cannot be trusted.
    key_notices_doubtful: bool = False

    def wipe(self) -> None:
        """Drop every key reference at once (sign-out); Python cannot zero the bytes themselves."""
        self.unlocked.unit_keys.clear()
        self.pending_totp = None

    def __repr__(self) -> str:
        return "StaffSession(<redacted>)"


def staff_session(request: web.Request) -> tuple[Session[Any], StaffSession] | None:
    """The live staff session behind this request, or None (never signed in, or expired)."""
    session = request.config_dict[SESSIONS].get(request.cookies.get(STAFF_COOKIE))
    if session is None or not isinstance(session.payload, StaffSession):
        return None
    return session, session.payload


class SignedOut(Exception):
    """No live staff session: never signed in, signed out, or expired."""


def require_staff(request: web.Request) -> tuple[Session[Any], StaffSession]:
    """The staff session behind this request; raises SignedOut."""
    found = staff_session(request)
    if found is None:
        raise SignedOut
    return found
