"""A removed or moved-out key holder put back by a database writer gets no new unit key (insider finding F2).

Attacker (b)+(d): a former Kent investigator who can write the database (or has it written for
them). The staff certificate binds id, unit, role and public key -- nothing that changes when
the row is deleted -- so the row saved from an older copy, re-inserted verbatim, or the old
unit and Kent certificate written back after a move, would pass the certificate alone. The
revocation file beside `audit.key` (custody/revoked.py), written before the removal or move
commits, is what refuses them: the next rotation is refused loudly, the member reads nothing,
and the health page names the revived row.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from dropbox_server import custodian_shares, totp
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import backup, enrolment, keyring, revocation, revoked, rotation, staff_changes
from dropbox_server.health import database_checks
from dropbox_server.services import open_services
from dropbox_server.store import audit as audit_store
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store import units
from dropbox_server.store.database import backup_file
from tests.conftest import CHEAP_KDF, custodian_shares_of, enrol_member, init_test_data_dir, unlock_custodian
from tests.keys.test_rekey_code import _redeem

ALICE = "alice password quartz lantern"
MALLORY = "mallory password velvet harbour"


def _certificates_check(settings: Settings) -> tuple[bool, str]:
    check = {c.name: c for c in database_checks(settings, today())}["certificates"]
    return check.ok, check.summary


async def _refused_and_nothing_sealed(settings: Settings, staff_id: int) -> None:
    """The routine rotation is refused; Mallory holds no copy of any Kent key."""
    async with open_services(settings) as services:
        db = services.db
        before = await units.current_unit_key(db, "kent-police")
        with pytest.raises(rotation.RotationError, match="revoked"):
            await rotation.rotate_unit_key(db, "kent-police", None, today())
        assert await units.current_unit_key(db, "kent-police") == before
        row = await staff_store.get_staff_by_username(db, "mallory")
        assert row is not None and row.id == staff_id
        mallory = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, MALLORY))
        kent = {k.id for k in await units.unit_keys(db, "kent-police")}
        assert kent and not kent & set(mallory.unit_keys)
        details = [r.entry.detail for r in await audit_store.entries(db) if r.entry.action == "key_check_failed"]
        assert any(f"staff_key={staff_id} revoked" in d for d in details)


async def test_a_removed_member_restored_by_sql_is_refused_the_next_unit_key(settings: Settings) -> None:
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        db = services.db
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password=ALICE)
        await enrol_member(db, username="mallory", unit_id="kent-police", role="investigator", password=MALLORY)
    with sqlite3.connect(settings.database_path) as raw:  # an older copy of the database
        raw.row_factory = sqlite3.Row
        saved = dict(raw.execute("SELECT * FROM staff WHERE username = 'mallory'").fetchone())
    async with open_services(settings) as services:
        await revocation.remove_staff(services.db, "mallory", today())  # rotates Kent's key
    assert revoked.read_revoked(settings.data_dir) == {(saved["id"], "kent-police")}
    assert oct(revoked.revoked_path(settings.data_dir).stat().st_mode & 0o777) == "0o600"
    with sqlite3.connect(settings.database_path) as raw:  # SQL write: the row goes back verbatim
        cols = ", ".join(saved)
        raw.execute("DELETE FROM staff_ids_used WHERE id = ?", (saved["id"],))
        raw.execute(f"INSERT INTO staff ({cols}) VALUES ({', '.join('?' * len(saved))})", tuple(saved.values()))
    ok, summary = _certificates_check(settings)
    assert not ok and f"staff #{saved['id']} (revoked from kent-police)" in summary
    await _refused_and_nothing_sealed(settings, saved["id"])


async def test_a_member_moved_out_and_pointed_back_by_sql_with_the_old_certificate_is_refused(
    settings: Settings,
) -> None:
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        db = services.db
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password=ALICE)
        await enrol_member(db, username="mallory", unit_id="kent-police", role="investigator", password=MALLORY)
    with sqlite3.connect(settings.database_path) as raw:
        (staff_id, kent_cert) = raw.execute(
            "SELECT id, certificate FROM staff WHERE username = 'mallory'").fetchone()
    async with open_services(settings) as services:
        await staff_changes.move_staff(services.db, "mallory", "essex-police",
                                       await unlock_custodian(services.db), today(), force=True)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE staff SET unit_id = 'kent-police', certificate = ? WHERE username = 'mallory'",
                    (kent_cert,))
    assert not _certificates_check(settings)[0]
    await _refused_and_nothing_sealed(settings, staff_id)


async def test_a_legitimate_move_back_lifts_the_revocation(settings: Settings) -> None:
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        db = services.db
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password=ALICE)
        await enrol_member(db, username="mallory", unit_id="kent-police", role="investigator", password=MALLORY)
        shares = await unlock_custodian(db)
        await staff_changes.move_staff(db, "mallory", "essex-police", shares, today(), force=True)
        assert len(revoked.read_revoked(settings.data_dir)) == 1
        await staff_changes.move_staff(db, "mallory", "kent-police", shares, today(), force=True)
        assert {u for _, u in revoked.read_revoked(settings.data_dir)} == {"essex-police"}
        done = await rotation.rotate_unit_key(db, "kent-police", None, today())
        assert done.members == 2
    assert _certificates_check(settings)[0]


async def test_the_key_backup_carries_the_revocation_list_and_restore_puts_it_back(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        db = services.db
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password=ALICE)
        await enrol_member(db, username="mallory", unit_id="kent-police", role="investigator", password=MALLORY)
        await revocation.remove_staff(db, "mallory", today())
        public = await enrolment_store.custodian_public_key(db)
        assert public is not None
    listed = revoked.read_revoked(settings.data_dir)
    assert len(listed) == 1
    keys_file, db_copy = tmp_path / "keys.backup", tmp_path / "db.copy"
    backup.write_backup(settings, public, keys_file)
    backup_file(settings.database_path, db_copy)
    custodian_private = custodian_shares.combine(custodian_shares_of(tmp_path / "data")[:2])
    shutil.rmtree(settings.data_dir)
    await backup.restore(keys_file, custodian_private, db_copy, settings)
    assert revoked.read_revoked(settings.data_dir) == listed
    assert revoked.revoked_path(settings.data_dir).stat().st_mode & 0o777 == 0o600


async def test_a_rekey_of_a_revived_member_is_refused_at_approval(settings: Settings) -> None:
    """The other way a revived row could get the unit's keys: a re-key code, approved by a member."""
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        db = services.db
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password=ALICE)
        await enrol_member(db, username="mallory", unit_id="kent-police", role="investigator", password=MALLORY)
    with sqlite3.connect(settings.database_path) as raw:
        raw.row_factory = sqlite3.Row
        saved = dict(raw.execute("SELECT * FROM staff WHERE username = 'mallory'").fetchone())
    async with open_services(settings) as services:
        await revocation.remove_staff(services.db, "mallory", today())
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DELETE FROM staff_ids_used WHERE id = ?", (saved["id"],))
        raw.execute(f"INSERT INTO staff ({', '.join(saved)}) VALUES ({', '.join('?' * len(saved))})",
                    tuple(saved.values()))
    async with open_services(settings) as services:
        db = services.db
        invited = await enrolment.invite_rekey(db, username="mallory", requested_by="officer", day=today())
        done = await _redeem(services, invited.code, "granite-owl-meadow-cobalt-lantern", totp.new_secret(),
                             time.time())
        row = await staff_store.get_staff_by_username(db, "alice")
        assert row is not None
        alice = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, ALICE))
        with pytest.raises(enrolment.EnrolmentRefused, match="tampered"):
            await enrolment.approve(db, alice, "mallory", done.fingerprint, today())
        refusals = [r.entry.detail for r in await audit_store.entries(db)
                    if r.entry.action == "enrolment_approval_refused"]
        assert any("for=mallory revoked" in d for d in refusals)
