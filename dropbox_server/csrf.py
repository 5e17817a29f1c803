"""CSRF tokens: signed, time-limited, bound to a session when there is one, single-use without."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

TOKEN_LIFETIME_SECONDS = 4 * 60 * 60


class CsrfTokens:
    """Issue and check tokens under a per-process secret.

    A form shown before any session exists (the report form, the receipt form) gets a
    token bound to nothing but its issue time; it is accepted once, so a refresh or a replay
    cannot submit a report twice. Forms inside a session get a token bound to that session.
    """

    def __init__(self, clock: Callable[[], float] = time.time):
        self._key = secrets.token_bytes(32)
        self._clock = clock
        self._spent: dict[str, float] = {}

    def issue(self, session_secret: str | None = None) -> str:
        issued = int(self._clock())
        nonce = secrets.token_urlsafe(12)
        body = f"{issued}.{nonce}"
        return f"{body}.{self._mac(body, session_secret)}"

    def check(self, token: str | None, session_secret: str | None = None, *, spend: bool = False) -> bool:
        """True for a well-signed, unexpired token (and, with spend, one not used before)."""
        if not token or len(token) > 200 or token.count(".") != 2:
            return False
        issued_text, nonce, mac = token.split(".")
        body = f"{issued_text}.{nonce}"
        if not hmac.compare_digest(mac, self._mac(body, session_secret)):
            return False
        try:
            age = self._clock() - int(issued_text)
        except ValueError:
            return False
        if not 0 <= age <= TOKEN_LIFETIME_SECONDS:
            return False
        if spend:
            self._forget_expired()
            if token in self._spent:
                return False
            self._spent[token] = self._clock()
        return True

    def _mac(self, body: str, session_secret: str | None) -> str:
        message = f"{session_secret or '-'}|{body}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def _forget_expired(self) -> None:
        horizon = self._clock() - TOKEN_LIFETIME_SECONDS
        for token in [t for t, when in self._spent.items() if when < horizon]:
            del self._spent[token]
