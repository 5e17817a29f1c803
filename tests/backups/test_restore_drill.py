"""The restore drill: a data directory with reports, replies and files is backed up with the
command line (key backup + `backup`), destroyed, restored into a clean directory, and every
report, reply and file opens again with the project's own use cases. It runs under both
routings: `desk` (the default; every report reaches the desk, whose key ring must come back
too) and `direct` (each report reaches its force's unit).

The custody step is kept in two small functions (`back_up_keys`, `restore_command`): the key
backup is sealed to the custodian public key, and restoring takes K custodian shares.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import keyring
from dropbox_server.files.download import OpenedFile, plaintext_chunks
from dropbox_server.files.upload import Recipients, UploadBatch
from dropbox_server.forces import DESK_ID
from dropbox_server.reports import casework
from dropbox_server.reports.case_files import case_files, reply_with_files
from dropbox_server.reports.reporter_access import (
    open_with_receipt,
    reporter_file,
    reporter_follow_up,
    reporter_thread,
)
from dropbox_server.services import Services, open_services
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from receipt_codes import Receipt
from tests.backups.helpers import ROOT, settings_at, submit, upload
from tests.conftest import custodian_shares_of, enrol_member, init_test_data_dir
from tests.keys.test_officer_cli import audit_details
from tests.officer import OPERATOR, officer

MEMBERS = {"alice": "kent-police", "bob": "essex-police", "dora": DESK_ID}
FORCES = ("kent-police", "essex-police")


def cli(*args: str, stdin: str = "", ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args, *officer(args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"TIPDROP_KDF": "1,8192,1", "PATH": "/usr/bin"},
    )
    assert done.returncode == 0 or not ok, done.stderr
    return done


@dataclass
class Expected:
    """What must open after the restore: per receipt, the report text, replies and file bytes."""

    reports: dict[str, tuple[str, str]] = field(default_factory=dict)  # receipt -> (holder, text)
    replies: dict[str, list[str]] = field(default_factory=dict)  # receipt -> reply texts
    unit_files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # receipt -> name -> bytes
    reporter_files: dict[str, dict[str, bytes]] = field(default_factory=dict)


async def member(services: Services, username: str) -> keyring.UnlockedStaff:
    row = await staff_store.get_staff_by_username(services.db, username)
    assert row is not None
    return await keyring.unlock_staff(services.db, row, keyring.unwrap_staff_key(row, f"{username} password quartz lantern"))


def holder(unit: str) -> str:
    """The member of the unit that holds a report."""
    return next(name for name, their_unit in MEMBERS.items() if their_unit == unit)


async def build(settings: Settings, routing: str) -> Expected:
    """Reports about two forces; replies with and without files; a follow-up with a file."""
    await init_test_data_dir(settings, routing=routing)
    expected = Expected()
    async with open_services(settings) as services:
        for username, unit in MEMBERS.items():
            if unit == DESK_ID and routing != "desk":
                continue  # no desk under direct routing
            await enrol_member(
                services.db,
                username=username,
                unit_id=unit,
                role="desk_analyst" if unit == DESK_ID else "investigator",
                password=f"{username} password quartz lantern",
            )
        for n, unit in enumerate(FORCES):
            files = {f"evidence-{n}-{i}.bin": os.urandom(70_000 * (i + 1) + n) for i in range(2)}
            receipt = await submit(services, settings, unit, f"what happened in {unit}", files)
            access = await open_with_receipt(services.db, services.receipts, Receipt(receipt))
            assert access is not None
            report = await report_store.get_report(services.db, access.report_id)
            assert report is not None
            assert report.unit_id == (DESK_ID if routing == "desk" else unit)
            expected.reports[receipt] = (report.unit_id, f"what happened in {unit}")
            expected.unit_files[receipt] = dict(files)
            staff = await member(services, holder(report.unit_id))
            await casework.reply_to_reporter(
                services.db, report, staff, f"thank you, {unit}", today()
            )
            reply_file = {f"photo-for-{unit}.jpg": os.urandom(50_000)}
            async with UploadBatch(
                services.files,
                Recipients(report.id, report.report_public_key, report.reporter_public_key),
                settings.files,
            ) as batch:
                await upload(batch, reply_file)
                await reply_with_files(
                    services.db, staff, report.id, "is this the man?", 1000, today(), batch
                )
            follow_up = {f"more-{unit}.pdf": os.urandom(20_000)}
            async with UploadBatch(
                services.files, Recipients(report.id, report.report_public_key), settings.files
            ) as batch:
                await upload(batch, follow_up)
                await reporter_follow_up(services.db, access, "yes, that is him", today(), batch)
            expected.replies[receipt] = [f"thank you, {unit}", "is this the man?"]
            expected.unit_files[receipt] |= reply_file | follow_up
            expected.reporter_files[receipt] = reply_file
    return expected


async def read_all(opened: OpenedFile) -> bytes:
    return b"".join([chunk async for chunk in plaintext_chunks(opened)])


async def check_everything_opens(settings: Settings, expected: Expected) -> None:
    async with open_services(settings) as services:
        holders = {unit for unit, _ in expected.reports.values()}
        unit_member = {unit: await member(services, holder(unit)) for unit in holders}
        for receipt, (unit, text) in expected.reports.items():
            access = await open_with_receipt(services.db, services.receipts, Receipt(receipt))
            assert access is not None, "the reporter's receipt must still work"
            thread = await reporter_thread(services.db, access, services.files)
            assert thread is not None
            assert [e.text for e in thread.entries if e.kind == "reply"] == expected.replies[receipt]
            report = await report_store.get_report(services.db, access.report_id)
            assert report is not None
            investigator = unit_member[unit]
            opened = await casework.open_report(services.db, report, investigator.unit_keys)
            assert opened.content.what_happened == text
            files = await case_files(services.db, services.files, investigator, report.id)
            assert {f.meta.name: await read_all(f) for f in files} == expected.unit_files[receipt]
            for name, data in expected.reporter_files[receipt].items():
                [row] = [f for f in files if f.meta.name == name]
                mine = await reporter_file(
                    services.db, services.files, report.id, report.seq, access.private_key, row.row.id
                )
                assert await read_all(mine) == data


def back_up_keys(data_dir: Path, out: Path) -> None:
    """A key backup sealed to the custodian public key: no shares are needed to write it."""
    cli(
        "keys",
        "backup",
        "--data-dir",
        str(data_dir),
        "--out",
        str(out),
    )


def restore_command(
    set_dir: Path, key_file: Path, target: Path, shares: list[str]
) -> subprocess.CompletedProcess[str]:
    """Restoring needs K custodian shares, one a line."""
    return cli(
        "restore",
        "--data-dir",
        str(target),
        "--from",
        str(set_dir),
        "--key-backup",
        str(key_file),
        stdin="".join(s + "\n" for s in shares),
        ok=False,
    )


@pytest.mark.parametrize("routing", ["desk", "direct"])
async def test_back_up_destroy_restore_everything_opens(tmp_path: Path, routing: str) -> None:
    settings = settings_at(tmp_path / "data")
    expected = await build(settings, routing)
    key_file, sets_dir = tmp_path / "keys.backup", tmp_path / "sets"
    back_up_keys(settings.data_dir, key_file)
    done = cli("backup", "--data-dir", str(settings.data_dir), "--to", str(sets_dir), "--keep", "3",
               "--operator", "jo.backup")  # fmt: skip
    assert "by=jo.backup" in " ".join(audit_details(settings.data_dir, "database_backed_up"))
    [set_dir] = list(sets_dir.glob("tipdrop-*"))
    assert set_dir.name == f"tipdrop-{today()}"
    assert f"key backup made on {today()}" in done.stdout
    manifest = json.loads((set_dir / "manifest.json").read_text())
    assert manifest["key_backup_day"] == today() and manifest["files"] == 8
    assert not (set_dir / "pepper.key").exists(), "the pepper lives only in the key backup"
    state_path = settings.data_dir / "backup-state.json"
    assert state_path.stat().st_mode & 0o777 == 0o600
    assert json.loads(state_path.read_text()) == {"last_good_day": today(), "path": str(set_dir)}

    shutil.rmtree(settings.data_dir)
    restored = settings_at(tmp_path / "clean")
    shares = custodian_shares_of(settings.data_dir)
    short = restore_command(set_dir, key_file, restored.data_dir, shares[:1])
    assert short.returncode == 1 and "1 more custodian share(s) needed" in short.stderr
    assert not restored.data_dir.exists()
    done = restore_command(set_dir, key_file, restored.data_dir, shares[1:])
    assert done.returncode == 0, done.stderr
    # Who restored is on the restored directory's audit entry (issue 15: every command).
    assert f"by={OPERATOR}" in " ".join(audit_details(restored.data_dir, "restored"))
    await check_everything_opens(restored, expected)
