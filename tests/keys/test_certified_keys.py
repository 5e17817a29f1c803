"""A database writer (no audit.key, no shares) swaps a public key the server seals to: refused.

Regression tests of the insider review of issue 18 (K1, K2, K3): each attack once made the
server seal new unit keys or reports to the attacker's key; now every seal-to path checks the
key's certificate (custody/certify.py), refuses, and records `key_check_failed`.
"""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify, keyring, rotation, staff_changes
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.store import audit as audit_store
from dropbox_server.store import units
from dropbox_server.web.appkeys import Services
from tests.conftest import enrol_member

SECRET = "INSIDERMARKER the sergeant sold the witness list"


async def _submit(services: Services) -> None:
    content = ReportContent(force="kent-police", conduct="corruption", what_happened=SECRET)
    await submit_report(services.db, services.receipts, content, None, "online", today())


async def _refusals(services: Services) -> list[str]:
    rows = await audit_store.entries(services.db, 0, 1000)
    return [r.entry.detail for r in rows if r.entry.action == "key_check_failed"]


def _opens(private: bytes, sealed: bytes) -> bool:
    try:
        envelope.unseal(private, sealed)
    except envelope.EnvelopeError:
        return False
    return True


async def test_K1_a_swapped_custodian_key_is_refused_not_sealed_to(settings: Settings, services: Services) -> None:
    db = services.db
    await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password="pw-alice-long")
    evil = envelope.generate_keypair()
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE custodian SET public_key = ?", (evil.public,))
    with pytest.raises(rotation.RotationError, match="pinned"):
        await rotation.rotate_unit_key(db, "kent-police", None, today())
    with pytest.raises(keyring.KeyringError, match="certificate"):
        await staff_changes.create_unit(db, "new-force", "New Force", "force", today())
    grants = [g for u in ("kent-police", "new-force") for g in await units.custodian_grants(db, u)]
    assert not any(_opens(evil.private, g.sealed_private_key) for g in grants)
    assert await units.get_unit(db, "new-force") is None
    assert await _refusals(services) == ["custodian pin", "custodian pin"]


async def test_K1_the_pin_file_and_the_certificate_each_catch_a_swap(settings: Settings, services: Services) -> None:
    """Pin rewritten to the swapped key too (a file write): the certificate still fails."""
    evil = envelope.generate_keypair()
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE custodian SET public_key = ?", (evil.public,))
    certify.write_pin(services.db, evil.public)
    with pytest.raises(certify.UncertifiedKey, match="certificate"):
        await certify.custodian_public(services.db)
    assert await _refusals(services) == ["custodian"]


async def test_K2_a_swapped_unit_key_is_refused_and_no_report_is_sealed_to_it(
    settings: Settings, services: Services
) -> None:
    evil = envelope.generate_keypair()
    current = await units.current_unit_key(services.db, "kent-police")
    assert current is not None
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE unit_keys SET public_key = ? WHERE id = ?", (evil.public, current.id))
        before = raw.execute("SELECT count(*) FROM reports").fetchone()[0]
    with pytest.raises(certify.UncertifiedKey):
        await _submit(services)
    with sqlite3.connect(settings.database_path) as raw:
        assert raw.execute("SELECT count(*) FROM reports").fetchone()[0] == before
    assert await _refusals(services) == ["unit_key=kent-police"]


async def test_K2_an_older_key_made_current_again_is_refused(settings: Settings, services: Services) -> None:
    """Marking the newest key retired would make an older one (a removed member's) current."""
    db = services.db
    old = await units.current_unit_key(db, "kent-police")
    assert old is not None
    await rotation.rotate_unit_key(db, "kent-police", None, today())
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE unit_keys SET retired_day = '2026-01-01' WHERE unit_id = 'kent-police' AND id != ?", (old.id,))
    with pytest.raises(certify.UncertifiedKey, match="newer one"):
        await _submit(services)


async def test_K3_a_swapped_member_key_is_refused_at_rotation(settings: Settings, services: Services) -> None:
    db = services.db
    await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password="pw-alice-long")
    evil = envelope.generate_keypair()
    before = await units.current_unit_key(db, "kent-police")
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE staff SET public_key = ? WHERE username = 'alice'", (evil.public,))
    with pytest.raises(rotation.RotationError, match="alice"):
        await rotation.rotate_unit_key(db, "kent-police", None, today())
    assert await units.current_unit_key(db, "kent-police") == before  # nothing was stored
    assert await _refusals(services) == [f"staff_key={(await _alice_id(settings))}"]


async def test_K3_a_member_key_moved_to_another_unit_row_is_refused(settings: Settings, services: Services) -> None:
    """The certificate binds the key to the member's unit and role, not only to the key."""
    db = services.db
    await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password="pw-alice-long")
    await rotation.rotate_unit_key(db, "kent-police", None, today())  # certified: fine
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DROP TRIGGER IF EXISTS report_assignments_follow_staff")
        raw.execute("UPDATE staff SET role = 'supervisor' WHERE username = 'alice'")
    with pytest.raises(rotation.RotationError):
        await rotation.rotate_unit_key(db, "kent-police", None, today())


async def _alice_id(settings: Settings) -> int:
    with sqlite3.connect(settings.database_path) as raw:
        return int(raw.execute("SELECT id FROM staff WHERE username = 'alice'").fetchone()[0])
