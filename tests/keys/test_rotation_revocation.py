"""Rotating unit keys and removing staff: old reports stay readable, new ones are out of reach."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dropbox_server import audit
from dropbox_server.clock import today
from dropbox_server.custody import keyring
from dropbox_server.custody.revocation import RemovalRefused, remove_staff
from dropbox_server.custody.rotation import new_unit_key, rotate_unit_key
from dropbox_server.reports import casework
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submission import submit_report
from dropbox_server.store import ReportRow, open_database, units
from dropbox_server.store import keys as key_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from dropbox_server.web.appkeys import Services
from tests.conftest import custodian_shares_of, enrol_member, unlock_custodian
from tests.officer import officer

ROOT = Path(__file__).resolve().parents[2]


async def enrol(services: Services, username: str, unit: str = "kent-police") -> None:
    await enrol_member(services.db, username=username, unit_id=unit, role="investigator", password=f"pw-{username}-long-enough")


async def unlock(db, username: str) -> keyring.UnlockedStaff:  # type: ignore[no-untyped-def]
    row = await staff_store.get_staff_by_username(db, username)
    assert row is not None
    return await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, f"pw-{username}-long-enough"))


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
    rotation = await rotate_unit_key(services.db, "kent-police", None, today())
    after = await new_report(services, "after rotation")
    grants = await report_store.report_grants(services.db, after.seq, "content")
    assert [key_id for key_id, _ in grants] == [rotation.new_key_id]
    alice = await unlock(services.db, "alice")
    assert await readable(services, before, alice.unit_keys)
    assert await readable(services, after, alice.unit_keys)


async def test_reseal_old_retires_the_old_keys(services: Services) -> None:
    await enrol(services, "alice")
    old = await new_report(services, "sealed to the first key")
    custodian = await unlock_custodian(services.db)
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
    bob_row = await staff_store.get_staff_by_username(services.db, "bob")
    assert bob_row is not None
    removal = await remove_staff(services.db, "bob", today())
    assert removal.new_key_id is not None
    later = await new_report(services, "submitted after bob was removed")

    assert await staff_store.get_staff_by_username(services.db, "bob") is None
    left = await services.db.fetch_one(
        "SELECT count(*) FROM unit_key_grants WHERE staff_id = ?", (bob_row.id,)
    )
    assert left is not None and left[0] == 0, "the live database keeps no copy of any key for bob"
    old_db = await open_database(copy)
    try:
        bob_then = await unlock(old_db, "bob")
    finally:
        await old_db.close()
    # What bob's password opens in the stolen copy reaches the earlier report, never the later one.
    assert removal.new_key_id not in bob_then.unit_keys
    assert await readable(services, earlier, bob_then.unit_keys)
    assert not await readable(services, later, bob_then.unit_keys)
    alice = await unlock(services.db, "alice")
    assert await readable(services, later, alice.unit_keys)
    assert await readable(services, earlier, alice.unit_keys)


async def test_removal_and_rotation_commit_together(services: Services) -> None:
    await enrol(services, "alice")
    await enrol(services, "bob")
    removal = await remove_staff(services.db, "bob", today())
    rows = await services.db.fetch_all("SELECT action, detail FROM audit_log ORDER BY seq DESC LIMIT 2")
    assert [r[0] for r in rows] == ["unit_key_rotated", "staff_removed"]
    assert f"key={removal.new_key_id}" in rows[0][1]
    current = await units.current_unit_key(services.db, "kent-police")
    assert current is not None and current.id == removal.new_key_id
    holders = await services.db.fetch_all(
        "SELECT staff_id FROM unit_key_grants WHERE unit_key_id = ?", (removal.new_key_id,)
    )
    alice = await staff_store.get_staff_by_username(services.db, "alice")
    assert alice is not None and {r[0] for r in holders} == {alice.id, None}


async def test_a_new_key_is_not_stored_if_the_members_changed_meanwhile(services: Services) -> None:
    await enrol(services, "alice")
    key, _pair = await new_unit_key(services.db, "kent-police", today())
    await enrol(services, "carol")  # joins after the key was sealed to the members of the time
    before = await units.unit_keys(services.db, "kent-police")
    with pytest.raises(key_store.MembersChanged):
        await key_store.add_unit_key(services.db, key)
    assert await units.unit_keys(services.db, "kent-police") == before


async def test_keys_are_not_retired_while_anything_is_still_sealed_to_them(services: Services) -> None:
    await enrol(services, "alice")
    report = await new_report(services, "sealed to the first key")
    grants = await report_store.report_grants(services.db, report.seq, "content")
    first_key = grants[0][0]
    entry = audit.pending("unit_key_retired", unit_id="kent-police", detail="test")
    assert not await key_store.retire_unit_keys(services.db, [first_key], today(), entry)
    copies = await services.db.fetch_one(
        "SELECT count(*) FROM unit_key_grants WHERE unit_key_id = ?", (first_key,)
    )
    assert copies is not None and copies[0] == 2, "alice's and the custodian's copies are kept"
    alice = await unlock(services.db, "alice")
    assert await readable(services, report, alice.unit_keys)


async def test_removing_the_last_key_holder_is_refused_unless_forced(services: Services) -> None:
    await enrol(services, "alice")
    with pytest.raises(RemovalRefused, match=r"last member .* only K custodian shares"):
        await remove_staff(services.db, "alice", today())
    assert await staff_store.get_staff_by_username(services.db, "alice") is not None
    await remove_staff(services.db, "alice", today(), force=True)
    assert await staff_store.get_staff_by_username(services.db, "alice") is None
    with pytest.raises(RemovalRefused, match="no member"):
        await remove_staff(services.db, "alice", today())


def cli(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args, "--data-dir", str(data_dir), *officer(args)],
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
    shares = custodian_shares_of(data_dir)
    wrong = cli(
        data_dir,
        "keys",
        "rotate-unit-key",
        "--unit",
        "kent-police",
        "--reseal-old",
        "--yes",
        stdin=f"{shares[0]}\n",
    )
    assert wrong.returncode == 1 and "1 more custodian share(s) needed" in wrong.stderr
    plain = cli(data_dir, "keys", "rotate-unit-key", "--unit", "kent-police", "--yes")
    assert plain.returncode == 0 and "sealed to 2 member(s)" in plain.stdout, plain.stderr
    unknown = cli(data_dir, "keys", "rotate-unit-key", "--unit", "atlantis", "--yes")
    assert unknown.returncode == 1 and "unknown unit" in unknown.stderr
    unconfirmed = cli(data_dir, "keys", "rotate-unit-key", "--unit", "kent-police")
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    done = cli(
        data_dir,
        "keys",
        "rotate-unit-key",
        "--unit",
        "kent-police",
        "--reseal-old",
        "--yes",
        stdin=f"{shares[0]}\n{shares[2]}\n",
    )
    assert done.returncode == 0, done.stderr
    assert "retired old key" in done.stdout
    removed = cli(data_dir, "keys", "remove-investigator", "--username", "bob", "--yes")
    assert removed.returncode == 0, removed.stderr
    assert "Removed bob" in removed.stdout and "which they never held" in removed.stdout
    last = cli(data_dir, "keys", "remove-investigator", "--username", "alice", "--yes")
    assert last.returncode == 1 and "only K custodian shares" in last.stderr
    assert "--force" in last.stderr
    listed = cli(data_dir, "keys", "list-staff")
    assert "alice" in listed.stdout and "bob" not in listed.stdout and "never" in listed.stdout
    missing = cli(data_dir.parent / "nowhere", "keys", "list-staff")
    assert missing.returncode == 1 and "no database" in missing.stderr
    assert not (data_dir.parent / "nowhere").exists()
    verified = cli(data_dir, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
