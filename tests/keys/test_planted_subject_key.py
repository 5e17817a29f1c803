"""Insider finding F8 (regression): a database writer plants the desk's subject key, so a
later copy of the database would tell which force each desk report names (M1 undone).

Attacker (a)+(b): writes the database, later reads a copy. The subject key has no
certificate: it is whatever `subject_key_grants` opens under the desk's ring
(custody/subject_key.py `open_subject_key`), and sealing to the ring needs only its PUBLIC
keys. So the writer seals a key of their own to the desk's ring (in place of the real one,
and clears the tags so they are written again); the next desk inbox view tags every desk
report under it, and the attacker tests each force's tag. The same key makes the collar
number and name marks (subject_marks) testable. Was an attack test (it passed on the old
code); now each subject key carries a certificate under the outside key binding its id,
unit and key, and a planted one is refused (key_check_failed) before any tag is written.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify, keyring
from dropbox_server.forces import DESK_ID
from dropbox_server.reports import inbox
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.desk_tags import named_force_tag
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services, open_services
from dropbox_server.store import audit as audit_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store import subjects as subject_store
from tests.conftest import init_test_data_dir
from tests.desk.insider import member

FORCES = ("kent-police", "essex-police", "merseyside-police", "surrey-police")


@pytest.fixture
def routing() -> str:
    return "desk"


def _plant_subject_key(path: object, key: bytes) -> None:
    with sqlite3.connect(str(path)) as raw:
        ring = raw.execute("SELECT id, public_key FROM unit_keys WHERE unit_id = ?", (DESK_ID,)).fetchall()
        found = raw.execute("SELECT id FROM subject_keys WHERE unit_id = ?", (DESK_ID,)).fetchone()
        if found is None:
            sk_id = int(raw.execute("INSERT INTO subject_keys (unit_id, created_day) VALUES (?, ?)",
                                    (DESK_ID, today())).lastrowid or 0)
        else:
            sk_id = int(found[0])
            raw.execute("DELETE FROM subject_key_grants WHERE subject_key_id = ?", (sk_id,))
        for key_id, public in ring:
            raw.execute("INSERT INTO subject_key_grants (subject_key_id, unit_key_id, sealed_key) VALUES (?, ?, ?)",
                        (sk_id, key_id, envelope.seal(bytes(public), key)))
        raw.execute("UPDATE reports SET named_force_tag = NULL WHERE unit_id = ?", (DESK_ID,))


async def test_a_planted_desk_subject_key_is_refused_so_a_copy_names_no_force(services: Services) -> None:
    db = services.db
    named = {"kent-police": "bribes at the custody desk", "merseyside-police": "threats to a witness"}
    for force, text in named.items():
        content = ReportContent(force=force, conduct="corruption", what_happened=text)
        await submit_report(db, services.receipts, content, None, "online", today())
    ann = await member(services, "ann", DESK_ID, "desk_analyst")
    await inbox.inbox(db, ann, inbox.InboxFilter())  # honest use: tags written under the real key
    mine = envelope.random_key()
    _plant_subject_key(db.path, mine)
    with pytest.raises(certify.UncertifiedKey, match="subject key of unit desk"):
        await inbox.inbox(db, ann, inbox.InboxFilter())  # the planted key is refused, not used
    guesses = {named_force_tag(mine, f): f for f in FORCES}
    with sqlite3.connect(db.path) as raw:  # a later copy
        tags: list[Any] = [t[0] for t in raw.execute(
            "SELECT named_force_tag FROM reports WHERE unit_id = ? ORDER BY seq", (DESK_ID,))]
        refused = raw.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'key_check_failed' AND detail = ?",
            ("subject_key=desk",)).fetchone()[0]
    # DEFENCE: no tag is written under the planted key, and the refusal is in the audit log.
    assert not any(t is not None and guesses.get(bytes(t)) for t in tags)
    assert refused == 1


def _as_before_0016(path: object) -> None:
    """The subject key as an upgrade to 0016 finds it: no certificate, certificates owed."""
    with sqlite3.connect(str(path)) as raw:
        raw.execute("UPDATE subject_keys SET certificate = NULL, grants_certificate = NULL")
        raw.execute("UPDATE reports SET named_force_tag = NULL")  # so the next view opens the key
        raw.execute("INSERT OR IGNORE INTO certification_owed (id) VALUES (1)")


async def _desk_upgrade(settings: Settings, plant_after: bytes | None) -> tuple[list[str], bytes | None]:
    """Tag under a pre-0016 subject key, upgrade (trust point), maybe plant, view again."""
    await init_test_data_dir(settings, routing="desk")
    async with open_services(settings) as services:
        content = ReportContent(force="kent-police", conduct="corruption", what_happened="x")
        await submit_report(services.db, services.receipts, content, None, "online", today())
        ann = await member(services, "ann", DESK_ID, "desk_analyst")
        await inbox.inbox(services.db, ann, inbox.InboxFilter())
    _as_before_0016(settings.database_path)
    (settings.data_dir / certify.PIN_NAME).unlink()
    async with open_services(settings) as services:  # the trust point certifies the grants
        if plant_after is not None:
            _plant_subject_key(services.db.path, plant_after)
        row = await staff_store.get_staff_by_username(services.db, "ann")
        assert row is not None
        ann = await keyring.unlock_staff(services.db, row, keyring.unwrap_staff_key(row, "pw-long-enough-1"))
        with contextlib.suppress(certify.UncertifiedKey):  # refused or not: what matters is below
            await inbox.inbox(services.db, ann, inbox.InboxFilter())
        found = await subject_store.subject_key(services.db, DESK_ID)
        assert found is not None
        details = [r.entry.detail for r in await audit_store.entries(services.db, 0, 1000)
                   if r.entry.action == "key_check_failed"]
    return details, found.certificate


async def test_a_subject_key_from_before_0016_is_certified_by_its_first_session_after_the_upgrade(
    settings: Settings,
) -> None:
    details, certificate = await _desk_upgrade(settings, plant_after=None)
    assert details == []
    assert certificate is not None  # the key itself is certified now


async def test_a_key_planted_after_the_upgrade_in_place_of_a_pre_0016_key_is_refused(settings: Settings) -> None:
    details, certificate = await _desk_upgrade(settings, plant_after=envelope.random_key())
    assert details == ["subject_key=desk"]
    assert certificate is None
