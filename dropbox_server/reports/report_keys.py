"""A report's key pairs: the current one, and those it had before it was passed on.

Passing a report on gives it a new key pair sealed only to the receiving unit; each earlier
private key is kept sealed to the pair that replaced it (store.authenticity). So whoever
holds the newest key reads everything, and a copy of an earlier key (the sending unit's)
opens nothing added after that key was retired.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import envelope
from dropbox_server.store import Database, ReportRow
from dropbox_server.store import authenticity as authenticity_store


@dataclass(frozen=True, repr=False)
class ReportKeys:
    """Private keys of a report, newest first; `limits[i]` is the last position key i may seal."""

    privates: tuple[bytes, ...]
    limits: tuple[int | None, ...]  # None for the newest: no limit

    def __repr__(self) -> str:
        return f"ReportKeys({len(self.privates)} generations)"

    @property
    def newest(self) -> bytes:
        return self.privates[0]

    def opener(self, sealed: bytes) -> tuple[bytes, int | None]:
        """The private key that opens `sealed` and its item limit; raises EnvelopeError."""
        for private, limit in zip(self.privates, self.limits, strict=True):
            try:
                envelope.unseal(private, sealed)
            except envelope.EnvelopeError:
                continue
            return private, limit
        raise envelope.EnvelopeError("no key of this report opens it")

    def unseal(self, sealed: bytes) -> bytes:
        """Open an item key sealed to any of the report's key pairs."""
        for private in self.privates:
            try:
                return envelope.unseal(private, sealed)
            except envelope.EnvelopeError:
                continue
        raise envelope.EnvelopeError("no key of this report opens it")


async def with_earlier(db: Database, report: ReportRow, newest: bytes) -> ReportKeys:
    """The report's keys from its newest private key, walking back through each hand-over."""
    privates: list[bytes] = [newest]
    limits: list[int | None] = [None]
    current = newest
    for earlier in await authenticity_store.earlier_report_keys(db, report.seq):
        current = envelope.unseal(current, earlier.sealed_to_next)
        privates.append(current)
        limits.append(earlier.last_n)
    return ReportKeys(tuple(privates), tuple(limits))
