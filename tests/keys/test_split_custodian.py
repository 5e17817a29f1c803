"""Migration for a data directory made with a security staff passphrase: migration 0006 keeps
the wrapped custodian key, every command but `keys split-custodian` refuses to run until it is
split, and splitting asks the passphrase once, prints shares and removes the wrapped key."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dropbox_server import custodian_shares, envelope
from dropbox_server.config import Settings
from dropbox_server.custody import custodian, keyring
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import open_database
from tests.conftest import CHEAP_KDF, custodian_shares_of, init_test_data_dir
from tests.officer import officer

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "the old security staff passphrase"


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args, *officer(args)], input=stdin, capture_output=True, text=True,
        cwd=ROOT, env={"TIPDROP_KDF": "1,8192,1", "PATH": "/usr/bin"}, timeout=120, check=False,
    )


async def test_migration_0006_keeps_a_wrapped_custodian_key(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = await open_database(path, migrate_up_to=5)
    await db.close()
    wrapped = envelope.wrap_with_password(PASSPHRASE, b"k" * 32, CHEAP_KDF, custodian.LEGACY_PURPOSE)
    with sqlite3.connect(path) as conn:  # as release 0005 wrote it (NOT NULL column)
        conn.execute("INSERT INTO custodian (id, public_key, wrapped_private_key) VALUES (1, ?, ?)",
                     (b"p" * 32, wrapped))
    db = await open_database(path)
    try:
        assert await db.schema_version() >= 6
        assert await enrolment_store.legacy_wrapped_custodian(db) == wrapped
        assert await enrolment_store.custodian_public_key(db) == b"p" * 32
    finally:
        await db.close()


async def _passphrase_era_directory(tmp_path: Path) -> tuple[Settings, bytes, bytes]:
    """A data directory whose custodian key is wrapped under a passphrase, as `init` used to make.

    The key pair is the one its units are sealed to; only the way it is held is the old one.
    """
    settings = Settings.for_data_dir(tmp_path / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)
    await init_test_data_dir(settings)
    private = custodian_shares.combine(custodian_shares_of(settings.data_dir)[:2])
    (tmp_path / "custodian-shares.txt").unlink()  # the old directory never had shares
    wrapped = envelope.wrap_with_password(PASSPHRASE, private, CHEAP_KDF, custodian.LEGACY_PURPOSE)
    with sqlite3.connect(settings.database_path) as conn:
        conn.execute("UPDATE custodian SET wrapped_private_key = ? WHERE id = 1", (wrapped,))
    return settings, private, wrapped


async def test_a_passphrase_made_directory_is_split_once_into_shares(tmp_path: Path) -> None:
    settings, private, wrapped = await _passphrase_era_directory(tmp_path)
    data = str(settings.data_dir)
    for command in (("keys", "list-staff"), ("keys", "rotate-unit-key", "--unit", "kent-police", "--yes"),
                    ("audit", "verify"), ("keys", "backup", "--out", str(tmp_path / "k.backup"))):
        refused = run(*command, "--data-dir", data)
        assert refused.returncode == 1 and "keys split-custodian` first" in refused.stderr, command
    wrong = run("keys", "split-custodian", "--data-dir", data, stdin="not the passphrase\n")
    assert wrong.returncode == 1 and "wrong security staff passphrase" in wrong.stderr
    done = run("keys", "split-custodian", "--data-dir", data, "--holders", "security,desk,oversight",
               "--threshold", "2", stdin=f"{PASSPHRASE}\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    shares = [lines[i + 1] for i, line in enumerate(lines) if line.startswith("--- ")]
    assert [line for line in lines if line.startswith("--- ")] == ["--- security ---", "--- desk ---",
                                                                   "--- oversight ---"]
    again = run("keys", "split-custodian", "--data-dir", data, stdin=f"{PASSPHRASE}\n")
    assert again.returncode == 1 and "already held as shares" in again.stderr
    db = await open_database(settings.database_path)
    try:
        assert await enrolment_store.legacy_wrapped_custodian(db) is None
        key = await custodian.unlock(db, shares[1:])
        # A new custodian key (so the old passphrase reaches nothing made from now on) that
        # still opens every unit key.
        assert key != private
        assert await keyring.unit_private_keys_from_custodian(db, "kent-police", key)
        with pytest.raises(Exception):
            await keyring.unit_private_keys_from_custodian(db, "kent-police", private)
        row = await db.fetch_one("SELECT count(*) FROM audit_log WHERE action = 'custodian_split'")
        assert row is not None and row[0] == 1
    finally:
        await db.close()
    listed = run("keys", "list-staff", "--data-dir", data)
    assert listed.returncode == 0, listed.stderr
    # `keys reshare`: K current shares give a new key and new shares; the old ones stop working.
    reshared = run("keys", "reshare", "--data-dir", data, "--yes", "--threshold", "2", "--shares", "3",
                   stdin=f"{shares[0]}\n{shares[2]}\n")
    assert reshared.returncode == 0, reshared.stderr
    out = reshared.stdout.splitlines()
    new = [out[i + 1] for i, line in enumerate(out) if line.startswith("--- share ")]
    assert len(new) == 3 and not set(new) & set(shares)
    rotate = ("keys", "rotate-unit-key", "--data-dir", data, "--unit", "kent-police", "--reseal-old", "--yes")
    old = run(*rotate, stdin=f"{shares[0]}\n{shares[1]}\n")
    assert old.returncode == 1 and "not this service's custodian key" in old.stderr
    assert run(*rotate, stdin=f"{new[0]}\n{new[2]}\n").returncode == 0
    # With SQLite's secure_delete, the wrapped key's bytes are gone from the file too.
    with sqlite3.connect(settings.database_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files = [p for p in settings.data_dir.iterdir() if p.name.startswith("tipdrop.sqlite3")]
    assert not any(wrapped[-24:] in p.read_bytes() for p in files)
