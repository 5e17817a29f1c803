"""Storage errors the layers above turn into pages: the one for a full disk."""

from __future__ import annotations

import errno
import sqlite3


class StorageFull(Exception):
    """The disk (or the database) has no room: the write was undone, nothing of it was kept.

    Security: raised only after the write was rolled back or its file removed, so callers
    may tell the sender plainly that nothing was kept (issue: disk full).
    """


class UnitNameTaken(Exception):
    """Another unit's name looks the same (their name keys are equal); nothing was written.

    Security: the unique index on units.name_key holds whatever the use case checked before.
    """


def is_unit_name_taken(exc: BaseException) -> bool:
    """True for the unique index on units.name_key refusing a row."""
    return isinstance(exc, sqlite3.IntegrityError) and "units.name_key" in str(exc)


def is_no_space(exc: BaseException) -> bool:
    """True for "no space left" and "quota exceeded" from the OS or SQLITE_FULL from SQLite."""
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
