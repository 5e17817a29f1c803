"""Rounded dates (the only notion of time stored with a report) and the injectable clocks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime


def today() -> str:
    """Today's date in UTC as YYYY-MM-DD.

    Security: reports store only the day, never a precise time, so stored times cannot be
    matched against network logs.
    """
    return datetime.now(UTC).date().isoformat()


def parse_day(value: str) -> date:
    return date.fromisoformat(value)


@dataclass(frozen=True)
class Clocks:
    """Injected clocks: sessions and throttles use `monotonic`, TOTP codes use `wall`."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
