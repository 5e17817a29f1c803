"""Key backups: the disaster drill, and every way a backup or restore must refuse.

A key backup is sealed to the custodian PUBLIC key: writing it needs no shares, restoring it
needs K of them (the same K that open a database copy), so the file adds no new way in."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dropbox_server import audit, custodian_shares, envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import backup, custodian, keyring
from dropbox_server.reports import casework
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt, reporter_thread
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import keys as key_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store import units
from dropbox_server.store.database import backup_file
from onion_config import OnionFiles, list_clients, load_or_create_service_key
from tests.conftest import CHEAP_KDF, custodian_shares_of, enrol_member, init_test_data_dir, unlock_custodian
from tests.officer import officer

ROOT = Path(__file__).resolve().parents[2]


def settings_at(path: Path) -> Settings:
    return Settings.for_data_dir(path, receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)


async def prepared(tmp_path: Path) -> tuple[Settings, str, str, Path, Path]:
    """A data directory with a report, a reply and onion keys; its key backup and database copy."""
    settings = settings_at(tmp_path / "data")
    await init_test_data_dir(settings)
    address = load_or_create_service_key(OnionFiles.for_data_dir(settings.data_dir).reporter_key).address
    async with open_services(settings) as services:
        db = services.db
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password="alice password quartz lantern")
        content = ReportContent(force="kent-police", conduct="corruption", what_happened="before the fire")
        receipt = await submit_report(db, services.receipts, content, None, "online", today())
        access = await open_with_receipt(db, services.receipts, receipt)
        assert access is not None
        report = await report_store.get_report(db, access.report_id)
        assert report is not None
        row = await staff_store.get_staff_by_username(db, "alice")
        assert row is not None
        alice = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, "alice password quartz lantern"))
        await casework.reply_to_reporter(db, report, alice, "we are on it", today())
        keys_file, db_copy = tmp_path / "keys.backup", tmp_path / "db.copy"
        public = await enrolment_store.custodian_public_key(db)
        assert public is not None
        backup.write_backup(settings, public, keys_file)
        backup_file(settings.database_path, db_copy)
    return settings, receipt, address, keys_file, db_copy


async def test_disaster_drill(tmp_path: Path) -> None:
    settings, receipt, address, keys_file, db_copy = await prepared(tmp_path)
    audit_key = settings.audit_key_path.read_bytes()
    shutil.rmtree(settings.data_dir)

    restored = await backup.restore(keys_file, _custodian(tmp_path), db_copy, settings)
    assert restored.onion_files >= 1
    assert settings.pepper_path.stat().st_mode & 0o777 == 0o600
    # The audit chain's outside key comes back too, so the restored chain still verifies.
    assert settings.audit_key_path.read_bytes() == audit_key
    assert settings.audit_key_path.stat().st_mode & 0o777 == 0o600
    assert (
        load_or_create_service_key(OnionFiles.for_data_dir(settings.data_dir).reporter_key).address == address
    )
    async with open_services(settings) as services:
        access = await open_with_receipt(services.db, services.receipts, receipt)  # type: ignore[arg-type]
        assert access is not None, "the reporter's receipt must still work"
        thread = await reporter_thread(services.db, access, services.files)
        assert thread is not None and [e.text for e in thread.entries if e.kind == "reply"] == [
            "we are on it"
        ]
        row = await staff_store.get_staff_by_username(services.db, "alice")
        assert row is not None
        alice = await keyring.unlock_staff(services.db, row, keyring.unwrap_staff_key(row, "alice password quartz lantern"))
        report = await report_store.get_report(services.db, access.report_id)
        assert report is not None
        assert (
            await casework.open_report(services.db, report, alice.unit_keys)
        ).content.what_happened == "before the fire"
        await casework.reply_to_reporter(services.db, report, alice, "after the restore", today())
        verified = await audit.verify(services.db)
        assert verified.ok and verified.keyed and verified.entries > 0


def _custodian(tmp_path: Path, data: str = "data") -> bytes:
    """The custodian key rebuilt from two of the shares init issued for that directory."""
    return custodian_shares.combine(custodian_shares_of(tmp_path / data)[:2])


def damaged_copies(keys_file: Path, tmp_path: Path) -> dict[str, Path]:
    data = keys_file.read_bytes()
    out = {}
    for name, content in {
        "truncated": data[: len(data) // 2],
        "bit-flipped": data[:60] + bytes([data[60] ^ 1]) + data[61:],
        "not-a-backup": b"hello" * 40,
    }.items():
        out[name] = tmp_path / name
        out[name].write_bytes(content)
    body = bytearray(data[:-32])
    body[len(backup.MAGIC)] = 9  # a version this code does not know, with a valid checksum
    out["unknown-version"] = tmp_path / "unknown-version"
    out["unknown-version"].write_bytes(bytes(body) + envelope.checksum(bytes(body)))
    return out


@pytest.mark.parametrize(
    "case", ["wrong-shares", "truncated", "bit-flipped", "not-a-backup", "unknown-version", "passphrase-era"]
)
async def test_bad_backups_are_refused_and_change_nothing(tmp_path: Path, case: str) -> None:
    _, _, _, keys_file, db_copy = await prepared(tmp_path)
    target = settings_at(tmp_path / "restored")
    damaged = damaged_copies(keys_file, tmp_path)
    body = bytearray(keys_file.read_bytes()[:-32])
    body[len(backup.MAGIC)] = 1  # a backup from before shares (under a passphrase)
    damaged["passphrase-era"] = tmp_path / "v1"
    damaged["passphrase-era"].write_bytes(bytes(body) + envelope.checksum(bytes(body)))
    source, key = (
        (keys_file, envelope.generate_keypair().private)
        if case == "wrong-shares"
        else (damaged[case], _custodian(tmp_path))
    )
    with pytest.raises(backup.BackupError) as err:
        await backup.restore(source, key, db_copy, target)
    expected = {
        "wrong-shares": "not the ones this key backup is sealed to",
        "passphrase-era": "made under the old security staff passphrase",
        "truncated": "truncated",
        "bit-flipped": "checksum",
        "not-a-backup": "not a tip drop key backup",
        "unknown-version": "version 9",
    }[case]
    assert expected in str(err.value)
    assert not target.data_dir.exists()


async def test_restore_refuses_a_non_empty_directory_and_a_foreign_database(tmp_path: Path) -> None:
    settings, _, _, keys_file, db_copy = await prepared(tmp_path)
    key = _custodian(tmp_path)
    with pytest.raises(backup.BackupError, match="not empty"):
        await backup.restore(keys_file, key, db_copy, settings)
    other = settings_at(tmp_path / "other" / "data")
    await init_test_data_dir(other)
    target = settings_at(tmp_path / "restored")
    with pytest.raises(backup.BackupError, match="does not belong"):
        await backup.restore(keys_file, key, other.database_path, target)
    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray(db_copy.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = bytes(4096)  # a page in the middle wiped
    damaged.write_bytes(bytes(data))
    with pytest.raises(backup.BackupError, match="not a sound tip drop database"):
        await backup.restore(keys_file, key, damaged, target)
    assert not target.data_dir.exists()


def cli(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args, *officer(args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"TIPDROP_KDF": "1,8192,1", "PATH": "/usr/bin"},
    )


def onion_state(data_dir: Path) -> tuple[str, str, list[str]]:
    """Both onion addresses (derived from the stored keys) and the authorised client keys."""
    files = OnionFiles.for_data_dir(data_dir)
    return (
        load_or_create_service_key(files.reporter_key).address,
        load_or_create_service_key(files.investigator_key).address,
        [f"{c.name}:{c.public_b32}" for c in list_clients(files.clients_dir)],
    )


async def test_disaster_drill_with_the_command_line(tmp_path: Path) -> None:
    settings, receipt, _, _, _ = await prepared(tmp_path)
    data = str(settings.data_dir)
    assert cli("keys", "add-onion-client", "--data-dir", data, "alice-laptop", stdin="").returncode == 0
    before = onion_state(settings.data_dir)
    keys_file, db_file = tmp_path / "cli.backup", tmp_path / "cli.db"
    shares = custodian_shares_of(settings.data_dir)
    wrote = cli("keys", "backup", "--data-dir", data, "--out", str(keys_file), stdin="")
    assert wrote.returncode == 0, wrote.stderr  # sealed to the public key: no shares asked
    again = cli("keys", "backup", "--data-dir", data, "--out", str(keys_file), stdin="")
    assert again.returncode == 1 and "already exists" in again.stderr
    copied = cli("keys", "backup-db", "--data-dir", data, "--out", str(db_file), stdin="")
    assert copied.returncode == 0, copied.stderr
    assert "copying [" in copied.stderr, "a progress bar on standard error"
    with sqlite3.connect(settings.database_path) as conn:
        actions = {r[0] for r in conn.execute("SELECT action FROM audit_log")}
    assert {"keys_backed_up", "database_backed_up", "onion_client_added"} <= actions

    shutil.rmtree(settings.data_dir)
    restore = ["keys", "restore", "--data-dir", data, "--in", str(keys_file), "--database", str(db_file)]
    one = cli(*restore, stdin=f"{shares[0]}\n")
    assert one.returncode == 1 and "1 more custodian share(s) needed" in one.stderr, one.stderr
    typo = cli(*restore, stdin=f"{shares[0]}\n{shares[1].replace(' ', '  ')[:-3]}xyz\n")
    assert typo.returncode == 1 and "not a valid share" in typo.stderr
    twice = cli(*restore, stdin=f"{shares[0]}\n{shares[0]}\n")
    assert twice.returncode == 1 and "twice" in twice.stderr
    assert not settings.data_dir.exists()
    done = cli(*restore, stdin=f"{shares[2]}\n{shares[0]}\n")
    assert done.returncode == 0, done.stderr
    assert "onion files and the database" in done.stdout
    over = cli(*restore, stdin=f"{shares[0]}\n{shares[1]}\n")
    assert over.returncode == 1 and "is not empty" in over.stderr

    assert onion_state(settings.data_dir) == before, "same onion addresses and authorised clients"
    async with open_services(settings) as services:
        access = await open_with_receipt(services.db, services.receipts, receipt)  # type: ignore[arg-type]
        assert access is not None, "the reporter's receipt still works"
        row = await staff_store.get_staff_by_username(services.db, "alice")
        assert row is not None
        alice = await keyring.unlock_staff(services.db, row, keyring.unwrap_staff_key(row, "alice password quartz lantern"))
        report = await report_store.get_report(services.db, access.report_id)
        assert report is not None
        opened = await casework.open_report(services.db, report, alice.unit_keys)
        assert opened.content.what_happened == "before the fire"
        await casework.reply_to_reporter(services.db, report, alice, "after the restore", today())
        thread = await reporter_thread(services.db, access, services.files)
        assert thread is not None
        assert [e.text for e in thread.entries if e.kind == "reply"] == ["we are on it", "after the restore"]
    verified = cli("audit", "verify", "--data-dir", data, stdin="")
    assert verified.returncode == 0, verified.stdout
    with sqlite3.connect(settings.database_path) as conn:
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'restored'").fetchone()[0] == 1
    recover = cli("keys", "recover-custodian", "--data-dir", data, "--in", str(keys_file), stdin="")
    assert recover.returncode == 1 and "keys reshare" in recover.stderr
    rotated = cli(
        "keys",
        "rotate-unit-key",
        "--data-dir",
        data,
        "--unit",
        "kent-police",
        "--reseal-old",
        "--yes",
        stdin=f"{shares[1]}\n{shares[2]}\n",
    )
    assert rotated.returncode == 0, rotated.stderr


async def test_reshare_moves_to_a_new_key_that_the_old_shares_cannot_open(tmp_path: Path) -> None:
    settings, _, _, keys_file, _ = await prepared(tmp_path)
    old_shares = custodian_shares_of(settings.data_dir)
    async with open_services(settings) as services:
        db = services.db
        before = await key_store.custodian_held_keys(db)
        old = await unlock_custodian(db)
        new = await custodian.reshare(db, old, custodian.ShareSpec(threshold=3, count=4))
        assert len(new) == 4
        with pytest.raises(custodian.CustodianError, match="not this service's custodian key"):
            await custodian.unlock(db, old_shares[:2])
        with pytest.raises(custodian.CustodianError, match="1 more share"):
            await custodian.unlock(db, [s.words for s in new[:2]])
        with pytest.raises(custodian.CustodianError, match="different splits"):
            await custodian.unlock(db, [*old_shares[:1], *[s.words for s in new[:2]]])
        key = await custodian.unlock(db, [s.words for s in new[1:]])
        opened = await keyring.unit_private_keys_from_custodian(db, "kent-police", key)
        public = {k.id: k.public_key for k in await units.unit_keys(db, "kent-police")}
        assert opened and all(envelope.public_key_of(v) == public[k] for k, v in opened.items())
        assert set(await key_store.custodian_held_keys(db)) == set(before)
        assert (await audit.verify(db)).ok
    # A backup made before the reshare still opens with the OLD shares only.
    with pytest.raises(backup.BackupError, match="not the ones"):
        backup.read_backup(keys_file, key)
    assert backup.read_backup(keys_file, _custodian(tmp_path))["pepper"]


def _rewrapped(keys_file: Path, onion: dict[str, str], out: Path) -> Path:
    """The same backup with its onion files replaced, wrapped and summed like a real one."""
    payload = backup.read_backup(keys_file, _custodian(keys_file.parent))
    payload["onion"] = onion
    public = backup.backup_custodian(keys_file)
    key = envelope.random_key()
    sealed = envelope.seal(public, key)
    header = backup.MAGIC + bytes([backup.VERSION]) + public + len(sealed).to_bytes(2, "big") + sealed
    body = header + envelope.encrypt(key, json.dumps(payload).encode("utf-8"), backup.CONTEXT + header)
    out.write_bytes(body + envelope.checksum(body))
    return out


@pytest.mark.parametrize(
    "name",
    [
        "../escaped.key",
        "investigator_clients/../../escaped.key",
        "/ABSOLUTE/escaped.key",
        "tor/torrc",
        "investigator_clients/.hidden.auth",
        "reporter.key/",
        "investigator_clients/a/b.auth",
        "investigator_clients/alice.auth\x00",
    ],
)
async def test_restore_refuses_onion_names_that_are_not_plain_known_files(tmp_path: Path, name: str) -> None:
    _, _, _, keys_file, db_copy = await prepared(tmp_path)
    payload = backup.read_backup(keys_file, _custodian(tmp_path))
    onion = dict(payload["onion"])  # type: ignore[call-overload]
    target = settings_at(tmp_path / "deep" / "restored")
    absolute = tmp_path / "absolute"
    crafted = {**onion, name.replace("/ABSOLUTE", str(absolute)): base64.b64encode(b"x").decode()}
    with pytest.raises(backup.BackupError, match="onion file"):
        await backup.restore(
            _rewrapped(keys_file, crafted, tmp_path / "crafted"), _custodian(tmp_path), db_copy, target
        )
    assert not target.data_dir.exists()
    assert not (tmp_path / "deep" / "escaped.key").exists() and not absolute.exists()
    assert not list(tmp_path.rglob("escaped.key"))


def test_a_backup_carries_only_the_onion_files_it_can_restore(tmp_path: Path) -> None:
    files = OnionFiles.for_data_dir(tmp_path)
    load_or_create_service_key(files.reporter_key)
    (files.root / "notes.txt").write_text("not ours")
    (files.root / ".reporter.key.1a2b.tmp").write_text("left by a crash")
    (files.tor_dir).mkdir()
    (files.tor_dir / "torrc").write_text("tor's working folder")
    assert sorted(backup._onion_files(files.root)) == ["reporter.key"]
