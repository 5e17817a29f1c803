"""Global rate limits: token buckets, because every reporter arrives through Tor."""

from __future__ import annotations

import time
from collections import OrderedDict
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

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def burst(self) -> int:
        return int(self._burst)

    def reset(self, rate: float, burst: int) -> None:
        """Start afresh (full) with new limits: at start-up, once the capacity they follow is measured."""
        if rate <= 0 or burst < 1:
            raise ValueError("rate and burst must be positive")
        self._rate, self._burst = rate, float(burst)
        self._tokens, self._last = self._burst, self._clock()

    def try_take(self) -> bool:
        """Take one token if there is one; False means the caller must refuse politely."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    @property
    def last_used(self) -> float:
        """When a token was last asked for (the bucket is full `burst / rate` seconds later)."""
        return self._last

    def seconds_until_token(self) -> int:
        """Whole seconds a refused caller should wait before trying again (at least 1)."""
        missing = max(0.0, 1.0 - self._tokens)
        return max(1, int(missing / self._rate + 0.999))


class KeyedBuckets:
    """One token bucket per key (e.g. per staff account), created on first use, bounded in number.

    Security: a bucket is forgotten only once it has refilled completely, when it is exactly
    a new one; while the table is full of live buckets, new keys are refused rather than
    anyone's spent attempts being forgotten. Buckets are kept in order of last use, so the
    refilled ones are found at the front in constant time.
    """

    def __init__(
        self, rate: float, burst: int, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic
    ):
        if max_keys < 1:
            raise ValueError("max_keys must be positive")
        self._rate = rate
        self._burst = burst
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._refill_seconds = burst / rate

    def __len__(self) -> int:
        return len(self._buckets)

    def try_take(self, key: str) -> bool:
        self._forget_refilled()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                return False
            bucket = self._buckets[key] = TokenBucket(self._rate, self._burst, clock=self._clock)
        self._buckets.move_to_end(key)
        return bucket.try_take()

    def _forget_refilled(self) -> None:
        """Drop buckets untouched for long enough to be full again (the least recently used first)."""
        now = self._clock()
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if now - oldest.last_used < self._refill_seconds:
                return
            self._buckets.popitem(last=False)
