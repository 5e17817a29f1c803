"""Runs slow key derivations off the event loop, with a bound on the queue."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from receipt_codes import KdfParams

T = TypeVar("T")


def _lower_priority(increment: int) -> None:
    """Add to this thread's nice value (on Linux nice(2) changes the calling thread only)."""
    with contextlib.suppress(OSError):
        os.nice(increment)


class KdfBusy(Exception):
    """Too many derivations are already waiting; the caller should answer 429."""


class KdfRunner:
    """A thread pool for argon2id (which releases the GIL) with a cap on waiting jobs.

    Security: the event loop never runs argon2id itself, so static pages stay fast while
    receipts are being checked; the cap stops a flood from queueing without bound.
    """

    def __init__(self, workers: int, max_waiting: int, *, nice: int = 0):
        # `nice` is added to the pool threads' nice value (argon2id's lane threads inherit it), for
        # batch work that must not starve what runs beside it, such as the demo's Tor network.
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="kdf",
            initializer=functools.partial(_lower_priority, nice) if nice else None,
        )
        self._max_in_flight = workers + max_waiting
        self._in_flight = 0
        self.completed = 0

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self._in_flight >= self._max_in_flight:
            raise KdfBusy
        self._in_flight += 1
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
            self.completed += 1
            return result
        finally:
            self._in_flight -= 1

    @property
    def in_flight(self) -> int:
        """Derivations running or waiting now (for monitoring and the busy check)."""
        return self._in_flight

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class ReceiptContext:
    """What deriving secrets from a receipt needs: the pepper, the cost, and where to run it."""

    pepper: bytes
    kdf: KdfParams
    runner: KdfRunner
    words: int


class MeasuredRate:
    """How many derivations a second a pool completes here, measured once, on first use.

    Why: the receipt throttle must admit no more than the pool can derive, and that depends
    on this machine as much as on the (fixed) argon2id costs: one run per worker, twice over,
    all at once, timed on the pool itself.
    """

    def __init__(self, runner: KdfRunner, workers: int, derive: Callable[[], object]):
        self._runner = runner
        self._runs = 2 * workers
        self._derive = derive
        self._lock = asyncio.Lock()
        self._per_second: float | None = None

    async def per_second(self) -> float:
        async with self._lock:
            if self._per_second is None:
                started = time.perf_counter()
                await asyncio.gather(*(self._runner.run(self._derive) for _ in range(self._runs)))
                self._per_second = self._runs / max(time.perf_counter() - started, 1e-6)
            return self._per_second
