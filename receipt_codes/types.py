"""Distinct types for receipt secrets so they cannot be mixed up with ordinary strings."""

from typing import NewType

Receipt = NewType("Receipt", str)
"""A normalised receipt: lower-case list words joined by single spaces."""

LookupId = NewType("LookupId", bytes)
"""32 bytes derived from a receipt; the only receipt-derived value used as an index."""
