"""A new receipt waiting to be shown once: kept in memory, by pre-session id, until displayed.

The report form's POST is answered with a redirect, so a refresh of the receipt page fetches
it again instead of re-posting the form (which used to file a duplicate and lose the
receipt). The receipt itself is never in a URL, a cookie value or a log.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from receipt_codes import Receipt

# Long enough for a slow Tor circuit to follow the redirect; short enough that an unseen
# receipt does not linger in memory.
HOLD_SECONDS = 10 * 60
MAX_HELD = 2_000


@dataclass(frozen=True, repr=False)
class HeldReceipt:
    receipt: Receipt
    file_count: int
    held_at: float

    def __repr__(self) -> str:
        return "HeldReceipt(<redacted>)"


class ReceiptsToShow:
    """Receipts by pre-session id and a random handle, each taken at most once.

    The handle (random, in the redirect's URL) lets two tabs of one browser each show their
    own report's receipt; it opens nothing without the browser's pre-session cookie.
    Security: taking a receipt removes it, so it is displayed exactly once; unseen ones go
    after HOLD_SECONDS or, past MAX_HELD, oldest first (a flood cannot grow memory).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._held: OrderedDict[tuple[str, str], HeldReceipt] = OrderedDict()
        self._latest: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, browser: str, receipt: Receipt, file_count: int) -> str:
        """Keep a receipt for this browser; returns the handle that takes it."""
        self._forget_old()
        handle = secrets.token_urlsafe(16)
        self._held[(browser, handle)] = HeldReceipt(receipt, file_count, self._clock())
        self._latest[browser] = handle
        while len(self._held) > MAX_HELD:
            self._drop(next(iter(self._held)))
        return handle

    def take(self, browser: str | None, handle: str | None = None) -> HeldReceipt | None:
        """The receipt held for this browser under `handle` (default: its latest), removed."""
        self._forget_old()
        if not browser:
            return None
        key = (browser, handle or self._latest.get(browser, ""))
        held = self._held.get(key)
        if held is not None:
            self._drop(key)
        return held

    def latest(self, browser: str | None) -> str | None:
        """The handle of this browser's newest unseen receipt, if any."""
        return self._latest.get(browser) if browser else None

    def _drop(self, key: tuple[str, str]) -> None:
        self._held.pop(key, None)
        latest = self._latest.get(key[0])
        # Security: handles are capabilities; compared in constant time like every secret.
        if latest is not None and hmac.compare_digest(latest, key[1]):
            del self._latest[key[0]]

    def _forget_old(self) -> None:
        horizon = self._clock() - HOLD_SECONDS
        while self._held:
            key, oldest = next(iter(self._held.items()))
            if oldest.held_at >= horizon:
                break
            self._drop(key)


RECEIPTS_TO_SHOW = web.AppKey("receipts_to_show", ReceiptsToShow)
# A receipt typed on the check form that opened nothing, shown back once in the box on the
# page the POST redirects to (the redirect is the same for every receipt, right or wrong).
RECEIPTS_TYPED = web.AppKey("receipts_typed", ReceiptsToShow)
