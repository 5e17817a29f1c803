"""Invariant 9 cryptographically: with Kent's unit key and the whole database, nothing the
reporter wrote can be decrypted; with the desk's key it can.

The attacker here is an insider at Kent holding every private key of Kent's unit ring and a
copy of the database file. They try every key they hold (and every key those open, to a
fixed point) against every sealed blob in every table, and every item key against every
ciphertext with every associated data the service uses.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.custody import keyring
from dropbox_server.reports import packages
from dropbox_server.reports.content import ContactDetails, ReportContent, item_context
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services
from tests.conftest import enrol_member, unlock_custodian
from tests.desk.flow import PACKAGE

MARKERS = ("Qxname", "Qxcollar", "Qxwhen", "Qxwhere", "Qxwhat", "Qxelse", "Qxhow", "Qxsafe")
KINDS = (
    "report", "contact", "reporter_message", "unit_reply", "note", "outcome_reason",
    "transfer_reason", "relay_question", "relay_closing", packages.REJECTION,
)  # fmt: skip


async def _member(services: Services, username: str, unit: str, role: str) -> keyring.UnlockedStaff:
    db = services.db
    # A second key holder of a unit is approved by a current member (custody/enrolment.py).
    await enrol_member(db, username=username, unit_id=unit, role=role, password="pw-long-enough-1")
    from dropbox_server.store import staff as staff_store

    row = await staff_store.get_staff_by_username(db, username)
    assert row is not None
    return await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, "pw-long-enough-1"))


def _blobs(path: Path) -> list[bytes]:
    """Every BLOB value in every table of the database file."""
    out = []
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                out.extend(bytes(v) for v in row if isinstance(v, bytes))
        ids = [r[0] for r in conn.execute("SELECT id FROM reports")]
    return out + [i.encode() for i in ids]


def _everything_opened(path: Path, keys: set[bytes]) -> list[bytes]:
    """Every plaintext the keys reach in the database, opening keys to a fixed point."""
    blobs = _blobs(path)
    with sqlite3.connect(path) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM reports")]
    contexts = [item_context(i, k) for i in ids for k in KINDS]
    known = set(keys)
    grew = True
    while grew:
        grew = False
        for blob in blobs:
            for key in list(known):
                try:
                    opened = envelope.unseal(key, blob)
                except Exception:
                    continue
                if opened not in known:
                    known.add(opened)
                    grew = True
    plain = []
    for blob in blobs:
        for key in known:
            for context in contexts:
                try:
                    plain.append(envelope.decrypt(key, blob, context))
                except Exception:
                    continue
    return plain


async def test_kent_key_and_database_open_no_reporter_text(services: Services) -> None:
    db = services.db
    content = ReportContent(
        force="kent-police", conduct="corruption", subject_name="Qxname", collar_number="Qxcollar",
        when="Qxwhen", where="Qxwhere", what_happened="Qxwhat happened", anything_else="Qxelse",
    )  # fmt: skip
    contact = ContactDetails("Qxhow", "Qxsafe", "investigating_force")
    await submit_report(db, services.receipts, content, contact, "online", today())
    analyst = await _member(services, "ann", "desk", "desk_analyst")
    supervisor = await _member(services, "sue", "desk", "desk_supervisor")
    source = (await db.fetch_all("SELECT id FROM reports"))[0][0]
    draft = await packages.create_draft(db, analyst, source, "kent-police", PACKAGE, False, today())
    await packages.submit_draft(db, analyst, draft, today())
    await packages.approve_draft(db, supervisor, draft, set(packages.CHECKLIST), today())

    custodian = await unlock_custodian(db)
    kent_keys = await keyring.unit_private_keys_from_custodian(db, "kent-police", custodian)
    desk_keys = await keyring.unit_private_keys_from_custodian(db, "desk", custodian)
    await services.db.checkpoint()

    by_kent = b"\n".join(_everything_opened(db.path, set(kent_keys.values())))
    assert PACKAGE["summary"].encode() in by_kent  # Kent does read its package
    for marker in MARKERS:
        assert marker.encode() not in by_kent, marker

    by_desk = b"\n".join(_everything_opened(db.path, set(desk_keys.values())))
    for marker in MARKERS:
        assert marker.encode() in by_desk, marker
