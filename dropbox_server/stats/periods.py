"""Months, quarters and years: the only time grain statistics are published at."""

from __future__ import annotations

import re

PERIODS = ("month", "quarter", "year")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A month or period that cannot be used; the message says why."""


def parse_month(value: str) -> tuple[int, int]:
    """(year, month) from YYYY-MM; raises PeriodError."""
    match = _MONTH.match(value)
    if not match:
        raise PeriodError(f"{value!r} is not a month written YYYY-MM")
    return int(match.group(1)), int(match.group(2))


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` inclusive, as YYYY-MM."""
    year, month = parse_month(first)
    end = parse_month(last)
    if (year, month) > end:
        raise PeriodError(f"{first} is after {last}")
    found = []
    while (year, month) <= end:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if len(found) > 1200:
        raise PeriodError("choose at most 100 years")
    return found


def period_of(month: str, period: str) -> str:
    """The label of the month, quarter ("2025 Q1") or year a month falls in."""
    year, number = parse_month(month)
    if period == "month":
        return month
    if period == "quarter":
        return f"{year:04d} Q{(number - 1) // 3 + 1}"
    if period == "year":
        return f"{year:04d}"
    raise PeriodError(f"period must be one of {', '.join(PERIODS)}")
