"""Global rate limits: token buckets, because every reporter arrives through Tor."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Allow `rate` events a second on average with bursts of up to `burst`."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        if rate <= 0 or burst < 1:
            raise ValueError("rate and burst must be positive")
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._last = clock()

    def try_take(self) -> bool:
        """Take one token if there is one; False means the caller must refuse politely."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def seconds_until_token(self) -> int:
        """Whole seconds a refused caller should wait before trying again (at least 1)."""
        missing = max(0.0, 1.0 - self._tokens)
        return max(1, int(missing / self._rate + 0.999))


class KeyedBuckets:
    """One token bucket per key (e.g. per staff account), created on first use, bounded in number."""

    def __init__(self, rate: float, burst: int, max_keys: int = 10_000):
        self._rate = rate
        self._burst = burst
        self._max_keys = max_keys
        self._buckets: dict[str, TokenBucket] = {}

    def try_take(self, key: str) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()
            bucket = self._buckets[key] = TokenBucket(self._rate, self._burst)
        return bucket.try_take()
