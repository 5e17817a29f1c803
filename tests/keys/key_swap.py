"""Insider finding F4's first steps, as a database writer takes them: Kent's newest unit key
swapped for one of their own, a seal to it refused (and logged), the real key put back."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from dropbox_server.custody import certify
from dropbox_server.store import open_database


def swap_kent_key(database: Path) -> tuple[int, bytes]:
    """Kent's newest unit key replaced with random bytes; returns its id and the real key."""
    with sqlite3.connect(database) as raw:
        (kid, real) = raw.execute(
            "SELECT id, public_key FROM unit_keys WHERE unit_id = 'kent-police' ORDER BY id DESC"
        ).fetchone()
        raw.execute("UPDATE unit_keys SET public_key = ? WHERE id = ?", (os.urandom(32), kid))
    return kid, real


def put_back(database: Path, kid: int, real: bytes) -> None:
    with sqlite3.connect(database) as raw:
        raw.execute("UPDATE unit_keys SET public_key = ? WHERE id = ?", (real, kid))


async def refuse_kent_key(database: Path) -> None:
    """The server refuses to seal to the swapped key, and logs a `key_check_failed` entry."""
    db = await open_database(database)
    try:
        with pytest.raises(certify.UncertifiedKey):
            await certify.current_unit_key(db, "kent-police")
    finally:
        await db.close()


async def swap_refuse_and_put_back(database: Path) -> None:
    """Swapped, refused (logged), put back: what is left is the refusal on the record."""
    kid, real = swap_kent_key(database)
    await refuse_kent_key(database)
    put_back(database, kid, real)
