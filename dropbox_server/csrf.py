"""CSRF tokens: signed, time-limited, bound to a session or pre-session, single-use on claim."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

TOKEN_LIFETIME_SECONDS = 4 * 60 * 60
# Spent tokens remembered at most; past it the oldest go and every token issued up to the
# same second is refused from then on, so forgetting never reopens a spent token.
MAX_SPENT = 200_000


class TokenState(enum.Enum):
    GOOD = "good"
    BAD = "bad"  # forged, expired, bound to something else, or malformed
    SPENT = "spent"  # right, but already used: the form was sent before


class CsrfTokens:
    """Issue and check tokens under a per-process secret.

    A form shown before any session exists (the report form, the receipt form) gets a
    token bound to the browser's pre-session cookie; it is claimed once, so a refresh or a
    replay cannot submit a report twice. Forms inside a session get a token bound to that
    session. Security: claiming costs O(1) and the set of spent tokens is bounded.
    """

    def __init__(self, clock: Callable[[], float] = time.time, max_spent: int = MAX_SPENT):
        self._key = secrets.token_bytes(32)
        self._clock = clock
        self._max_spent = max_spent
        # Token → issue time, in the order they were spent (oldest first).
        self._spent: OrderedDict[str, int] = OrderedDict()
        self._refuse_issued_up_to = -1

    def __len__(self) -> int:
        return len(self._spent)

    def issue(self, session_secret: str | None = None) -> str:
        issued = int(self._clock())
        nonce = secrets.token_urlsafe(12)
        body = f"{issued}.{nonce}"
        return f"{body}.{self._mac(body, session_secret)}"

    def check(self, token: str | None, session_secret: str | None = None, *, spend: bool = False) -> bool:
        """True for a well-signed, unexpired token (and, with spend, one not used before)."""
        if spend:
            return self.claim(token, session_secret) is TokenState.GOOD
        return self._issued(token, session_secret) is not None

    def claim(self, token: str | None, session_secret: str | None = None) -> TokenState:
        """Check a single-use token and mark it spent; SPENT if it was used before."""
        issued = self._issued(token, session_secret)
        if issued is None or token is None:
            return TokenState.BAD
        self._forget_expired()
        if token in self._spent:
            return TokenState.SPENT
        if issued <= self._refuse_issued_up_to:
            return TokenState.BAD
        self._spent[token] = issued
        while len(self._spent) > self._max_spent:
            _, forgotten = self._spent.popitem(last=False)
            self._refuse_issued_up_to = max(self._refuse_issued_up_to, forgotten)
        return TokenState.GOOD

    def release(self, token: str | None) -> None:
        """The claimed form was refused (invalid, busy): the same form may be sent again."""
        if token:
            self._spent.pop(token, None)

    def _issued(self, token: str | None, session_secret: str | None) -> int | None:
        if not token or len(token) > 200 or not token.isascii() or token.count(".") != 2:
            return None
        issued_text, nonce, mac = token.split(".")
        body = f"{issued_text}.{nonce}"
        if not hmac.compare_digest(mac, self._mac(body, session_secret)):
            return None
        try:
            issued = int(issued_text)
        except ValueError:
            return None
        if not 0 <= self._clock() - issued <= TOKEN_LIFETIME_SECONDS:
            return None
        return issued

    def _mac(self, body: str, session_secret: str | None) -> str:
        message = f"{session_secret or '-'}|{body}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def _forget_expired(self) -> None:
        """Drop spent tokens that have expired anyway, oldest spent first: amortised O(1).

        A token spent at time s was issued after s - lifetime, so everything stays at most
        two lifetimes even when an older-issued token sits behind a newer one.
        """
        horizon = self._clock() - TOKEN_LIFETIME_SECONDS
        while self._spent and next(iter(self._spent.values())) < horizon:
            self._spent.popitem(last=False)
