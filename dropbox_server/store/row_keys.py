"""Random row keys for reports and items: no counter, so no order or time in them."""

from __future__ import annotations

import secrets


def new_row_key() -> int:
    """A random positive 62-bit integer key.

    Security: a counter across units lets a copy of the database order one unit's reporter
    follow-up between another unit's notes, and SQLite's own rowids reuse the highest deleted
    number. A random key does neither (a repeat needs a 1 in 2^62 draw; sessions never name
    a report by it anyway).
    """
    return secrets.randbits(62) + 1
