"""Regression (insider finding F1): a restore never reopens the trust point.

Attacker (a)+(b): can write a database copy (a backup set, the replica) but not read the 0600
files. They plant a newer unit key whose private half they hold, clear the custodian
certificate and set the `certification_owed` marker, hoping the first start after a restore
certifies every row as found. The restore now always pins the custodian key the key backup
was opened with (K shares), so the first start certifies nothing, new reports are refused
rather than sealed to the planted key, and the explicit `keys certify-restored` step refuses
a copy whose schema already had certificates.
This test passed as an ATTACK (the attacker read a new report) before the fix.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.custody import backup, certify
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import audit as audit_store
from tests.conftest import init_test_data_dir
from tests.keys.test_backup_restore import _custodian, prepared, settings_at
from tests.keys.test_officer_cli import run, shares


def _plant(db_copy: Path) -> tuple[int, bytes]:
    """Plant a newer Kent key whose private half the attacker holds, sealed to every member and to
    the custodian (only their PUBLIC keys are needed), so nothing breaks for the unit."""
    evil = envelope.generate_keypair()
    with sqlite3.connect(db_copy) as raw:
        unit_id = "kent-police"
        day = raw.execute("SELECT created_day FROM unit_keys WHERE unit_id = ?", (unit_id,)).fetchone()[0]
        cur = raw.execute(
            "INSERT INTO unit_keys (unit_id, public_key, created_day) VALUES (?, ?, ?)", (unit_id, evil.public, day)
        )
        key_id = int(cur.lastrowid or 0)
        custodian_public = raw.execute("SELECT public_key FROM custodian").fetchone()[0]
        raw.execute(
            "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, NULL, ?)",
            (key_id, envelope.seal(bytes(custodian_public), evil.private)),
        )
        for staff_id, public in raw.execute("SELECT id, public_key FROM staff WHERE unit_id = ?", (unit_id,)).fetchall():
            raw.execute(
                "INSERT INTO unit_key_grants (unit_key_id, staff_id, sealed_private_key) VALUES (?, ?, ?)",
                (key_id, staff_id, envelope.seal(bytes(public), evil.private)),
            )
        # The two lines that reopened the trust point.
        raw.execute("UPDATE custodian SET certificate = NULL")
        raw.execute("INSERT OR IGNORE INTO certification_owed (id) VALUES (1)")
    return key_id, evil.private


async def test_a_restored_doctored_copy_is_not_certified_and_nothing_is_sealed_to_the_planted_key(
    tmp_path: Path,
) -> None:
    settings, _receipt, _address, keys_file, db_copy = await prepared(tmp_path)
    _plant(db_copy)
    shutil.rmtree(settings.data_dir)  # the disaster the restore is for
    custodian_private = _custodian(tmp_path)
    await backup.restore(keys_file, custodian_private, db_copy, settings)
    # The pin is the key the backup was opened with, whatever the copy says.
    assert certify.read_pin(settings.data_dir / certify.PIN_NAME) == envelope.public_key_of(custodian_private)
    assert not (settings.data_dir / certify.RESTORED_OLD_NAME).exists()  # the copy's schema has certificates
    async with open_services(settings) as services:
        db = services.db
        content = ReportContent(force="kent-police", conduct="corruption", what_happened="sergeant took cash")
        with pytest.raises(certify.UncertifiedKey, match="certificate"):
            await submit_report(db, services.receipts, content, None, "online", today())
        assert [r[0] for r in await db.fetch_all("SELECT count(*) FROM reports")] == [1]  # only the old one
        entries = await audit_store.entries(db)
        assert not [e for e in entries if e.entry.action == "keys_certified"]  # no silent upgrade
        assert any(e.entry.action == "key_check_failed" and e.entry.detail == "owed-marker-ignored" for e in entries)
        # The explicit step refuses too: this copy was made with certificates.
        with pytest.raises(certify.RestoredRefused, match="not restored from a database copy older"):
            await certify.certify_restored(db, custodian_private)
        assert not [e for e in await audit_store.entries(db) if e.entry.action == "keys_certified"]


async def test_a_copy_older_than_certificates_is_certified_only_by_the_explicit_audited_step(
    tmp_path: Path,
) -> None:
    """What the restore leaves for a copy whose schema predates certificates: pinned, marked,
    nothing certified at start; `keys certify-restored` with K shares certifies it once."""
    settings = settings_at(tmp_path / "data")
    await init_test_data_dir(settings)
    with sqlite3.connect(settings.database_path) as raw:  # as migration 0013 leaves an old copy
        for statement in (
            "UPDATE custodian SET certificate = NULL", "UPDATE unit_keys SET certificate = NULL",
            "UPDATE staff SET certificate = NULL", "INSERT OR IGNORE INTO certification_owed (id) VALUES (1)",
        ):
            raw.execute(statement)
    certify.mark_restored_before_certificates(settings.data_dir)  # as the restore does; pin kept
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="x")
    async with open_services(settings) as services:
        db = services.db
        with pytest.raises(certify.UncertifiedKey):
            await submit_report(db, services.receipts, content, None, "online", today())
        with pytest.raises(certify.RestoredRefused, match="not one key"):
            await certify.certify_restored(db, envelope.generate_keypair().private)  # not the shares' key
    done = run(settings.data_dir, "keys", "certify-restored", "--yes", stdin=shares(tmp_path / "data"))
    assert done.returncode == 0 and "Certified the keys of this copy (0 report(s))" in done.stdout, done.stderr
    async with open_services(settings) as services:
        db = services.db
        assert await submit_report(db, services.receipts, content, None, "online", today())
        entries = [r.entry for r in await audit_store.entries(db)]
        assert [e.detail.split(" ")[0] for e in entries if e.action == "keys_certified"] == ["restored-copy"]
        with pytest.raises(certify.RestoredRefused):  # once only: the marker is gone
            await certify.certify_restored(db, _custodian(tmp_path))
    assert not (settings.data_dir / certify.RESTORED_OLD_NAME).exists()


async def test_keys_certify_restored_from_the_command_line_refuses_a_copy_made_with_certificates(
    tmp_path: Path,
) -> None:
    """The operator's step: K shares on stdin; refused (exit 1, nothing certified) for a restored
    copy that was made with certificates, whatever its rows say."""
    settings, _receipt, _address, keys_file, db_copy = await prepared(tmp_path)
    _plant(db_copy)
    shutil.rmtree(settings.data_dir)
    await backup.restore(keys_file, _custodian(tmp_path), db_copy, settings)
    done = run(settings.data_dir, "keys", "certify-restored", "--yes", stdin=shares(tmp_path / "data"))
    assert done.returncode == 1 and "not restored from a database copy older" in done.stderr, done.stderr
    async with open_services(settings) as services:
        assert not [r for r in await audit_store.entries(services.db) if r.entry.action == "keys_certified"]
