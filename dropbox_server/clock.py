"""Rounded dates: the only notion of time stored with a report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def today() -> str:
    """Today's date in UTC as YYYY-MM-DD.

    Security: reports store only the day, never a precise time, so stored times cannot be
    matched against network logs.
    """
    return datetime.now(UTC).date().isoformat()


def parse_day(value: str) -> date:
    return date.fromisoformat(value)


def days_before(days: int, start: str | None = None) -> str:
    """The day `days` whole days before `start` (default today), as YYYY-MM-DD."""
    return (parse_day(start or today()) - timedelta(days=days)).isoformat()
