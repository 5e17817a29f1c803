"""Timing and the printed figures the in-process benchmarks share: median and p99 in ms."""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path


async def timed(fn: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    """Milliseconds for each of `runs` awaits of fn, after one warm-up."""
    await fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def timed_sql(db_path: Path, sql: str, params: Sequence[object], runs: int) -> list[float]:
    """The reference: the same page's query in bare sqlite3 on the same file, no decryption."""
    with sqlite3.connect(db_path) as raw:
        raw.execute(sql, params).fetchall()
        out = []
        for _ in range(runs):
            t0 = time.perf_counter()
            raw.execute(sql, params).fetchall()
            out.append((time.perf_counter() - t0) * 1000)
    return out


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.99) - 1)]


def figures(label: str, values: list[float]) -> str:
    return f"{label:<34} median {statistics.median(values):8.2f} ms   p99 {p99(values):8.2f} ms"


def line(label: str, values: list[float], bare: list[float]) -> str:
    """Figures with the ratio of medians to the bare reference measured in the same run."""
    ratio = statistics.median(values) / statistics.median(bare)
    return f"{figures(label, values)}   ×{ratio:7.1f} bare"
