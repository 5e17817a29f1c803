"""The restore drill: a data directory with reports, replies and files is backed up with the
command line (key backup + `backup`), destroyed, restored into a clean directory, and every
report, reply and file opens again with the project's own use cases.

The custody step is kept in two small functions (`back_up_keys`, `restore_command`): when
custody moves to SLIP-39 shares, only they change.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import keyring
from dropbox_server.custody.provision import init_data_dir
from dropbox_server.files.download import OpenedFile, plaintext_chunks
from dropbox_server.files.upload import Recipients, UploadBatch
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
from tests.conftest import CHEAP_KDF, CUSTODIAN_PASSPHRASE

BACKUP_PASSPHRASE = "a long backup passphrase"
MEMBERS = {"alice": "kent-police", "bob": "essex-police"}


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"TIPDROP_KDF": "1,8192,1", "PATH": "/usr/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done


@dataclass
class Expected:
    """What must open after the restore: per receipt, the report text, replies and file bytes."""

    reports: dict[str, tuple[str, str]] = field(default_factory=dict)  # receipt -> (unit, text)
    replies: dict[str, list[str]] = field(default_factory=dict)  # receipt -> reply texts
    unit_files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # receipt -> name -> bytes
    reporter_files: dict[str, dict[str, bytes]] = field(default_factory=dict)


async def member(services: Services, username: str) -> keyring.UnlockedStaff:
    row = await staff_store.get_staff_by_username(services.db, username)
    assert row is not None
    return await keyring.unlock_staff(services.db, row, keyring.unwrap_staff_key(row, f"{username} password"))


async def build(settings: Settings) -> Expected:
    """Two units' reports; replies with and without files; a follow-up with a file."""
    await init_data_dir(settings, CUSTODIAN_PASSPHRASE)
    expected = Expected()
    async with open_services(settings) as services:
        custodian = await keyring.unlock_custodian(services.db, CUSTODIAN_PASSPHRASE)
        for username, unit in MEMBERS.items():
            await keyring.add_staff(
                services.db,
                username=username,
                unit_id=unit,
                role="investigator",
                password=f"{username} password",
                custodian_private=custodian,
                kdf=CHEAP_KDF,
                totp_secret=None,
                day=today(),
            )
        for n, (username, unit) in enumerate(MEMBERS.items()):
            files = {f"evidence-{n}-{i}.bin": os.urandom(70_000 * (i + 1) + n) for i in range(2)}
            receipt = await submit(services, settings, unit, f"what happened in {unit}", files)
            expected.reports[receipt] = (unit, f"what happened in {unit}")
            expected.unit_files[receipt] = dict(files)
            access = await open_with_receipt(services.db, services.receipts, Receipt(receipt))
            assert access is not None
            report = await report_store.get_report(services.db, access.report_id)
            assert report is not None
            staff = await member(services, username)
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
        staff = {name: await member(services, name) for name in MEMBERS}
        unit_member = {unit: staff[name] for name, unit in MEMBERS.items()}
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
    """Custody today: one key backup file under a passphrase (issue 18 moves this to shares)."""
    cli(
        "keys",
        "backup",
        "--data-dir",
        str(data_dir),
        "--out",
        str(out),
        stdin=f"{CUSTODIAN_PASSPHRASE}\n{BACKUP_PASSPHRASE}\n",
    )


def restore_command(set_dir: Path, key_file: Path, target: Path) -> subprocess.CompletedProcess[str]:
    return cli(
        "restore",
        "--data-dir",
        str(target),
        "--from",
        str(set_dir),
        "--key-backup",
        str(key_file),
        stdin=f"{BACKUP_PASSPHRASE}\n",
    )


async def test_back_up_destroy_restore_everything_opens(tmp_path: Path) -> None:
    settings = settings_at(tmp_path / "data")
    expected = await build(settings)
    key_file, sets_dir = tmp_path / "keys.backup", tmp_path / "sets"
    back_up_keys(settings.data_dir, key_file)
    done = cli("backup", "--data-dir", str(settings.data_dir), "--to", str(sets_dir), "--keep", "3")
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
    restore_command(set_dir, key_file, restored.data_dir)
    await check_everything_opens(restored, expected)
