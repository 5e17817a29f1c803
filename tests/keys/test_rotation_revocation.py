"""Rotating unit keys and removing staff: old reports stay readable, new ones are out of reach."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dropbox_server import keyring
from dropbox_server.clock import today
from dropbox_server.keys.revocation import RemovalRefused, remove_staff
from dropbox_server.keys.rotation import rotate_unit_key
from dropbox_server.reports import casework
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submit import submit_report
from dropbox_server.services import Services
from dropbox_server.store import ReportRow, open_database
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from tests.conftest import CHEAP_KDF, CUSTODIAN_PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]


async def enrol(services: Services, username: str, unit: str = "kent-police") -> None:
    custodian = await keyring.unlock_custodian(services.db, CUSTODIAN_PASSPHRASE)
    await keyring.add_staff(
        services.db,
        username=username,
        unit_id=unit,
        role="investigator",
        password=f"pw-{username}",
        custodian_private=custodian,
        kdf=CHEAP_KDF,
        totp_secret=None,
        day=today(),
    )


async def unlock(db, username: str) -> keyring.UnlockedStaff:  # type: ignore[no-untyped-def]
    row = await staff_store.get_staff_by_username(db, username)
    assert row is not None
    return await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, f"pw-{username}"))


async def new_report(services: Services, text: str) -> ReportRow:
    content = ReportContent(force="kent-police", conduct="corruption", what_happened=text)
    receipt = await submit_report(services.db, services.receipts, content, None, "online", today())
    access = await open_with_receipt(services.db, services.receipts, receipt)
    assert access is not None
    report = await report_store.get_report(services.db, access.report_id)
    assert report is not None
    return report


async def readable(services: Services, report: ReportRow, unit_keys: dict[int, bytes]) -> bool:
    try:
        await casework.open_report(services.db, report, unit_keys)
    except casework.NotReadable:
        return False
    return True


async def test_reports_before_and_after_a_rotation_are_both_readable(services: Services) -> None:
    await enrol(services, "alice")
    before = await new_report(services, "before rotation")
    custodian = await keyring.unlock_custodian(services.db, CUSTODIAN_PASSPHRASE)
    rotation = await rotate_unit_key(services.db, "kent-police", custodian, today())
    after = await new_report(services, "after rotation")
    grants = await report_store.report_grants(services.db, after.seq, "content")
    assert [key_id for key_id, _ in grants] == [rotation.new_key_id]
    alice = await unlock(services.db, "alice")
    assert await readable(services, before, alice.unit_keys)
    assert await readable(services, after, alice.unit_keys)


async def test_reseal_old_retires_the_old_keys(services: Services) -> None:
    await enrol(services, "alice")
    old = await new_report(services, "sealed to the first key")
    custodian = await keyring.unlock_custodian(services.db, CUSTODIAN_PASSPHRASE)
    seen: list[tuple[int, int]] = []
    rotation = await rotate_unit_key(
        services.db,
        "kent-police",
        custodian,
        today(),
        reseal_old=True,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert rotation.resealed == 1 and len(rotation.retired) == 1 and seen[-1] == (1, 1)
    retired = rotation.retired[0]
    row = await services.db.fetch_one(
        "SELECT count(*) FROM unit_key_grants WHERE unit_key_id = ?", (retired,)
    )
    assert row is not None and row[0] == 0, "no copy of the retired private key may remain"
    alice = await unlock(services.db, "alice")
    assert set(alice.unit_keys) == {rotation.new_key_id}
    assert await readable(services, old, alice.unit_keys)


async def test_removed_investigator_with_an_old_database_copy_reads_nothing_new(
    services: Services, tmp_path: Path
) -> None:
    await enrol(services, "alice")
    await enrol(services, "bob")
    earlier = await new_report(services, "submitted while bob was a member")
    copy = tmp_path / "stolen-copy.sqlite3"
    with sqlite3.connect(services.db.path) as live, sqlite3.connect(copy) as stolen:
        live.backup(stolen)
    custodian = await keyring.unlock_custodian(services.db, CUSTODIAN_PASSPHRASE)
    removal = await remove_staff(services.db, "bob", custodian, today())
    assert removal.rotation is not None
    later = await new_report(services, "submitted after bob was removed")

    assert await staff_store.get_staff_by_username(services.db, "bob") is None
    old_db = await open_database(copy)
    try:
        bob_then = await unlock(old_db, "bob")
    finally:
        await old_db.close()
    # What bob's password opens in the stolen copy reaches the earlier report, never the later one.
    assert await readable(services, earlier, bob_then.unit_keys)
    assert not await readable(services, later, bob_then.unit_keys)
    alice = await unlock(services.db, "alice")
    assert await readable(services, later, alice.unit_keys)


async def test_removing_the_last_key_holder_is_refused_unless_forced(services: Services) -> None:
    await enrol(services, "alice")
    custodian = await keyring.unlock_custodian(services.db, CUSTODIAN_PASSPHRASE)
    with pytest.raises(RemovalRefused, match="last member"):
        await remove_staff(services.db, "alice", custodian, today())
    assert await staff_store.get_staff_by_username(services.db, "alice") is not None
    await remove_staff(services.db, "alice", custodian, today(), force=True)
    assert await staff_store.get_staff_by_username(services.db, "alice") is None
    with pytest.raises(RemovalRefused, match="no member"):
        await remove_staff(services.db, "alice", custodian, today())


def cli(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"TIPDROP_KDF": "1,8192,1", "PATH": "/usr/bin"},
    )


async def test_cli_rotation_and_removal(services: Services) -> None:
    await enrol(services, "alice")
    await enrol(services, "bob")
    data_dir = services.db.path.parent
    wrong = cli(data_dir, "keys", "rotate-unit-key", "--unit", "kent-police", "--yes", stdin="not it\n")
    assert wrong.returncode == 1 and "wrong security staff passphrase" in wrong.stderr
    unconfirmed = cli(data_dir, "keys", "rotate-unit-key", "--unit", "kent-police", stdin="x\n")
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    done = cli(
        data_dir,
        "keys",
        "rotate-unit-key",
        "--unit",
        "kent-police",
        "--reseal-old",
        "--yes",
        stdin=f"{CUSTODIAN_PASSPHRASE}\n",
    )
    assert done.returncode == 0, done.stderr
    assert "retired old key" in done.stdout
    removed = cli(
        data_dir,
        "keys",
        "remove-investigator",
        "--username",
        "bob",
        "--yes",
        stdin=f"{CUSTODIAN_PASSPHRASE}\n",
    )
    assert removed.returncode == 0, removed.stderr
    assert "Removed bob" in removed.stdout
    listed = cli(data_dir, "keys", "list-staff")
    assert "alice" in listed.stdout and "bob" not in listed.stdout
    verified = cli(data_dir, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
