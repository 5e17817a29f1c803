"""An insider at a force with a copy of the database (and its WAL) and their unit's keys.

They try every key they hold, and every key those open (to a fixed point), against every
sealed blob in every table, and every item key against every ciphertext with every
associated data the service uses. Shared by the desk's cryptographic tests.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.custody import keyring
from dropbox_server.reports import packages
from dropbox_server.reports.content import item_context
from dropbox_server.reports.package_links import LINK_CONTEXT
from dropbox_server.services import Services
from dropbox_server.store import Database
from dropbox_server.store import packages as package_store
from dropbox_server.store import staff as staff_store
from tests.conftest import enrol_member, unlock_custodian

KINDS = (
    "report", "contact", "reporter_message", "unit_reply", "note", "outcome_reason",
    "transfer_reason", "relay_question", "relay_closing", packages.REJECTION, packages.DRAFT,
)  # fmt: skip


async def member(services: Services, username: str, unit: str, role: str) -> keyring.UnlockedStaff:
    """A staff member enrolled through the key ring and signed in (keys unlocked)."""
    db = services.db
    # A second key holder of a unit is approved by a current member (custody/enrolment.py).
    await enrol_member(db, username=username, unit_id=unit, role=role, password="pw-long-enough-1")
    row = await staff_store.get_staff_by_username(db, username)
    assert row is not None
    return await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, "pw-long-enough-1"))


async def unit_keys(services: Services, unit: str) -> set[bytes]:
    """Every private key of a unit's ring (what any member of the unit holds)."""
    custodian = await unlock_custodian(services.db)
    return set((await keyring.unit_private_keys_from_custodian(services.db, unit, custodian)).values())


def _blobs_and_ids(path: Path) -> tuple[list[bytes], list[str]]:
    """Every BLOB value in every table (as the file and its WAL stand), and every case id."""
    out = []
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                out.extend(bytes(v) for v in row if isinstance(v, bytes))
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM reports UNION SELECT package_id FROM package_drafts WHERE package_id IS NOT NULL"
            )
        ]
    return out + [i.encode() for i in ids], ids


def keys_reached(path: Path, keys: set[bytes], blobs: Iterable[bytes] = ()) -> set[bytes]:
    """Every key the given keys open in the database, to a fixed point (what an insider
    keeps from a copy, to try on a later one)."""
    found = list(blobs) or _blobs_and_ids(path)[0]
    known = set(keys)
    grew = True
    while grew:
        grew = False
        for blob in found:
            for key in list(known):
                try:
                    opened = envelope.unseal(key, blob)
                except Exception:
                    continue
                if opened not in known:
                    known.add(opened)
                    grew = True
    return known


def everything_opened(path: Path, keys: set[bytes], extra_blobs: Iterable[bytes] = ()) -> list[bytes]:
    """Every plaintext the keys reach in the database (plus any blobs recovered elsewhere,
    such as old page images in the WAL), opening keys to a fixed point."""
    blobs, ids = _blobs_and_ids(path)
    blobs += list(extra_blobs)
    contexts = [item_context(i, k) for i in ids for k in KINDS] + [LINK_CONTEXT]
    known = keys_reached(path, keys, blobs)
    plain = []
    for blob in blobs:
        for key in known:
            for context in contexts:
                try:
                    plain.append(envelope.decrypt(key, blob, context))
                except Exception:
                    continue
    return plain


async def reviewed(db: Database, draft_id: int) -> int:
    """The version of a draft as its approver's page shows it now."""
    row = await package_store.get_draft(db, draft_id)
    assert row is not None
    return row.version
