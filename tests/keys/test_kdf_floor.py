"""Insider finding K7: an environment variable (a systemd drop-in, a shell profile) must not
lower the staff key wrap below the production argon2id cost on a real data directory.

TIPDROP_KDF stays for tests and benchmarks, but only on a data directory created as a demo or
test one: the marker is written when the directory is made, never added to an existing one,
and it is shown at every start and on the health page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dropbox_server import envelope, totp
from dropbox_server.cli.settings_args import settings_from_args
from dropbox_server.clock import today
from dropbox_server.config import DEMO_KDF, WRAP_KDF, Settings, below_wrap_floor
from dropbox_server.custody import custodian, redemption
from dropbox_server.custody.provision import init_data_dir
from dropbox_server.datadir import THROWAWAY_NAME, DataDirError, Throwaway, read_throwaway, write_throwaway
from dropbox_server.health import gather
from dropbox_server.kdf import KdfRunner
from dropbox_server.services import open_services
from dropbox_server.store import open_database
from receipt_codes import KdfParams
from tests.conftest import CHEAP_KDF
from tests.enrol_flow import enrolment_code
from tests.keys.test_insider_custody import issued_shares
from tests.officer import officer

ROOT = Path(__file__).resolve().parents[2]
CHEAP = "1,8192,1"
PASSWORD = "ember-cactus-violin-harbor-plume"


def run(*args: str, kdf: str | None = CHEAP, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin", **({"TIPDROP_KDF": kdf} if kdf is not None else {})}
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args, *officer(args)], input=stdin, capture_output=True,
        text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )


def three_shares(init_output: str) -> str:
    return "".join(s + "\n" for s in list(issued_shares(init_output).values())[:3])


def pending_count(data: Path) -> int:
    with sqlite3.connect(data / "tipdrop.sqlite3") as raw:
        return int(raw.execute("SELECT count(*) FROM pending_enrolments").fetchone()[0])


def redeem_at(data: Path, code: str, kdf: KdfParams) -> redemption.Redeemed:
    """The newcomer's redemption (as the staff site does it), their key wrapped at `kdf`."""

    async def go() -> redemption.Redeemed:
        db = await open_database(data / "tipdrop.sqlite3")
        runner = KdfRunner(1, 2)
        try:
            secret, now = totp.new_secret(), time.time()
            code_now = totp.code_at_step(secret, totp.current_step(now))
            choice = redemption.Choice(PASSWORD, PASSWORD, secret, code_now)
            return await redemption.redeem(db, runner, code, choice, kdf, now=now, day=today())
        finally:
            runner.close()
            await db.close()

    return asyncio.run(go())


def staff_count(data: Path) -> int:
    with sqlite3.connect(data / "tipdrop.sqlite3") as raw:
        return int(raw.execute("SELECT count(*) FROM staff").fetchone()[0])


def test_K7_an_environment_variable_cannot_lower_the_wrap_of_a_real_data_directory(tmp_path: Path) -> None:
    """The attack of K7 (it succeeded before: the new key was wrapped at t=1, 8 MiB): `init`
    without the variable makes a real directory; a drop-in then sets it for every command."""
    data = tmp_path / "data"
    made = run("init", "--data-dir", str(data), kdf=None)
    assert made.returncode == 0, made.stderr
    assert read_throwaway(data) is None and "THROWAWAY" not in made.stdout
    added = run("keys", "add-investigator", "--data-dir", str(data), "--unit", "kent-police",
                "--username", "alice")
    assert added.returncode == 1
    assert "TIPDROP_KDF" in added.stderr and "not a demo or test data directory" in added.stderr
    assert staff_count(data) == 0 and pending_count(data) == 0  # refused before anything was made
    served = run("serve", "--no-tor", "--data-dir", str(data))
    assert served.returncode == 1 and "refusing to wrap staff keys cheaply" in served.stderr
    # Nor can the variable mark the existing directory as a test one by running init again.
    again = run("init", "--data-dir", str(data))
    assert again.returncode == 1 and read_throwaway(data) is None


def test_a_cost_at_or_above_the_floor_is_still_honoured_on_a_real_directory(tmp_path: Path) -> None:
    """Only lowering is refused: the floor is WRAP_KDF's time and memory (parallelism is free)."""
    assert not below_wrap_floor(WRAP_KDF)
    assert not below_wrap_floor(KdfParams(time_cost=3, memory_kib=256 * 1024, parallelism=1))
    assert below_wrap_floor(KdfParams(time_cost=2, memory_kib=512 * 1024, parallelism=4))
    assert below_wrap_floor(KdfParams(time_cost=8, memory_kib=128 * 1024, parallelism=4))
    assert below_wrap_floor(DEMO_KDF)


def test_init_with_the_variable_makes_a_marked_test_directory_that_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = run("init", "--data-dir", str(data))
    assert made.returncode == 0, made.stderr
    assert "THROWAWAY test data directory" in made.stdout
    assert read_throwaway(data) == Throwaway("test", (1, 8192, 1))
    added = run("keys", "add-investigator", "--data-dir", str(data), "--unit", "kent-police",
                "--username", "alice")
    assert added.returncode == 0, added.stderr
    assert "THROWAWAY test data directory" in added.stderr  # every command says so
    # The newcomer's key is made at a dearer cost than the variable's; a password change from
    # the command line then re-wraps it at the variable's cost, which this directory honours.
    done = redeem_at(data, enrolment_code(added.stdout), KdfParams(time_cost=2, memory_kib=16 * 1024, parallelism=1))
    approved = run("keys", "approve-first", "--data-dir", str(data), "--username", "alice",
                   stdin=three_shares(made.stdout) + done.fingerprint + "\n")
    assert approved.returncode == 0, approved.stderr
    changed = run("keys", "reset-password", "--data-dir", str(data), "--username", "alice",
                  stdin=PASSWORD + "\n" + PASSWORD[::-1] + "-quokka\n")
    assert changed.returncode == 0, changed.stderr
    with sqlite3.connect(data / "tipdrop.sqlite3") as raw:
        blob = bytes(raw.execute("SELECT wrapped_private_key FROM staff WHERE username='alice'").fetchone()[0])
    assert (envelope.wrap_cost(blob).time_cost, envelope.wrap_cost(blob).memory_kib) == (1, 8192)
    status = run("status", "--data-dir", str(data), "--json", kdf=None)
    check = json.loads(status.stdout)["checks"]["throwaway"]
    assert status.returncode == 1 and check["ok"] is False and check["purpose"] == "test"


async def test_the_marker_is_never_added_to_an_existing_directory(tmp_path: Path) -> None:
    real = Settings.for_data_dir(tmp_path / "real", receipt_kdf=CHEAP_KDF)
    await init_data_dir(real, custodian.ShareSpec(threshold=2, count=3))
    with pytest.raises(DataDirError, match="already initialised"):
        await init_data_dir(real.with_changes(throwaway="test"), custodian.ShareSpec(threshold=2, count=3))
    assert read_throwaway(real.data_dir) is None
    # A marker planted in an empty directory before `init` is refused too, not adopted.
    planted = tmp_path / "planted"
    planted.mkdir()
    write_throwaway(planted, Throwaway("test", (1, 8, 1)))
    with pytest.raises(DataDirError, match="already initialised"):
        await init_data_dir(Settings.for_data_dir(planted, receipt_kdf=CHEAP_KDF),
                            custodian.ShareSpec(threshold=2, count=3))


def test_a_new_demo_directory_is_marked_and_uses_the_demo_cost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIPDROP_KDF", raising=False)
    args = argparse.Namespace(data_dir=tmp_path / "demo" / "data")
    fresh = settings_from_args(args, creates="demo")
    assert (fresh.throwaway, fresh.password_kdf) == ("demo", DEMO_KDF)
    # The same command on an unmarked existing directory (a demo made before the marker
    # existed, or a real one) keeps the production cost.
    args.data_dir.mkdir(parents=True)
    (args.data_dir / "pepper.key").write_bytes(b"")
    kept = settings_from_args(args, creates="demo")
    assert (kept.throwaway, kept.password_kdf) == ("", WRAP_KDF)


async def test_a_throwaway_directory_is_loud_in_the_log_at_start_and_in_health(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF,
                                     throwaway="demo")
    await init_data_dir(settings, custodian.ShareSpec(threshold=2, count=3))
    assert (settings.data_dir / THROWAWAY_NAME).stat().st_mode & 0o077 == 0
    with caplog.at_level(logging.WARNING, logger="tipdrop"):
        async with open_services(settings):
            pass
    assert any("THROWAWAY demo data directory" in r.getMessage() for r in caplog.records)
    report = gather(settings, "2026-12-03")
    assert report.checks[0].name == "throwaway" and not report.checks[0].ok and not report.ok


async def test_every_directory_made_with_a_cheap_wrap_is_marked(tmp_path: Path) -> None:
    """Whatever makes it (here the test helpers' own settings, naming no purpose)."""
    cheap = Settings.for_data_dir(tmp_path / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)
    await init_data_dir(cheap, custodian.ShareSpec(threshold=2, count=3))
    assert read_throwaway(cheap.data_dir) == Throwaway("test", (1, 8192, 1))
