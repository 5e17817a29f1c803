"""A new receipt waiting to be shown once: kept in memory, by pre-session id, until displayed.

The report form's POST is answered with a redirect, so a refresh of the receipt page fetches
it again instead of re-posting the form (which used to file a duplicate and lose the
receipt). The receipt itself is never in a URL, a cookie value or a log.
"""

from __future__ import annotations

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
    """Receipts by pre-session id, each taken at most once.

    Security: taking a receipt removes it, so it is displayed exactly once; unseen ones go
    after HOLD_SECONDS or, past MAX_HELD, oldest first (a flood cannot grow memory).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._held: OrderedDict[str, HeldReceipt] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, browser: str, receipt: Receipt, file_count: int) -> None:
        self._forget_old()
        self._held.pop(browser, None)
        self._held[browser] = HeldReceipt(receipt, file_count, self._clock())
        while len(self._held) > MAX_HELD:
            self._held.popitem(last=False)

    def take(self, browser: str | None) -> HeldReceipt | None:
        self._forget_old()
        return self._held.pop(browser, None) if browser else None

    def waiting(self, browser: str | None) -> bool:
        return bool(browser) and browser in self._held

    def _forget_old(self) -> None:
        horizon = self._clock() - HOLD_SECONDS
        while self._held and next(iter(self._held.values())).held_at < horizon:
            self._held.popitem(last=False)


RECEIPTS_TO_SHOW = web.AppKey("receipts_to_show", ReceiptsToShow)
