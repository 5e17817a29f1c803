"""Insider finding F3: security staff reach the data only through the officers' door.

The attack this replaces: the README told security staff to run `runuser -u tipdrop -- run.py
keys ...`, so whoever ran `keys` had a shell as the service user, read `audit.key` (the root of
every certificate) and certified a unit key of their own (no shares, no second person).
Now security staff are another user: `init` leaves them nothing they can open, and the door
(cli/door.py, run as the service user through sudo) is their only way in. Here the officer is
uid/gid 65534 (`setpriv`), the service user is the test's own user, and every door run is a
real `python -I run.py officer-door CONFIG ...` subprocess with the caller's arguments.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import run
from dropbox_server.cli import door as door_module
from dropbox_server.config import Settings
from dropbox_server.custody import revoked
from dropbox_server.custody.revoked import REVOKED_NAME
from dropbox_server.datadir import PRIVATE_FILES
from tests.conftest import CHEAP_KDF, init_test_data_dir

ROOT = Path(__file__).resolve().parents[2]
NOBODY = "65534"
PLAIN_ENV = {"PATH": "/usr/bin:/bin"}


def door(config: Path, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None,
         isolated: bool = True) -> subprocess.CompletedProcess[bytes]:
    """The door as sudo and the wrapper run it: isolated Python, the config the wrapper names."""
    python = [sys.executable, "-I"] if isolated else [sys.executable]
    return subprocess.run(
        [*python, str(ROOT / "run.py"), "officer-door", str(config), *args],
        input=stdin, capture_output=True, env=PLAIN_ENV if env is None else env, cwd="/",
    )


@pytest.fixture
def base() -> Iterator[Path]:
    """A folder any user can enter (pytest's own are 0700), so the officer's refusals are the
    data directory's doing; a public file beside it is the positive control."""
    folder = Path(tempfile.mkdtemp(prefix="tipdrop-officer-"))
    folder.chmod(0o755)
    (folder / "public.txt").write_text("anyone may read this\n")
    (folder / "public.txt").chmod(0o644)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


async def made_by_init(base: Path) -> tuple[Settings, Path]:
    """A data directory made by init, and the door's config naming it."""
    settings = Settings.for_data_dir(base / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)
    await init_test_data_dir(settings)
    config = base / "door.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\n')
    config.chmod(0o644)
    return settings, config


def as_officer(code: str) -> subprocess.CompletedProcess[str]:
    """`code` run by a user who is not the service user (no groups)."""
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable, "-I", "-c", code],
        capture_output=True, text=True, env=PLAIN_ENV, cwd="/",
    )


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="becoming another user (setpriv) needs root")
async def test_the_officer_cannot_read_audit_key_in_a_directory_made_by_init(base: Path) -> None:
    settings, _ = await made_by_init(base)
    control = as_officer(f"print(open({str(base / 'public.txt')!r}).read(), end='')")
    assert control.returncode == 0 and control.stdout == "anyone may read this\n", control.stderr
    for target in (settings.audit_key_path, settings.pepper_path, settings.database_path):
        tried = as_officer(f"open({str(target)!r}, 'rb').read()")
        assert tried.returncode != 0 and "PermissionError" in tried.stderr, target
    listed = as_officer(f"import os; os.listdir({str(settings.data_dir)!r})")
    assert "PermissionError" in listed.stderr


async def test_init_leaves_the_directory_0700_and_every_secret_0600(base: Path) -> None:
    settings, _ = await made_by_init(base)
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    revoked.revoke(settings.data_dir, 1, "kent-police")  # written at the first removal or move out
    assert REVOKED_NAME in PRIVATE_FILES
    for name in PRIVATE_FILES:
        assert stat.S_IMODE((settings.data_dir / name).stat().st_mode) == 0o600, name


async def test_commands_through_the_door_work_on_the_fixed_directory(base: Path) -> None:
    settings, config = await made_by_init(base)
    listed = door(config, "keys", "list-units", "--unit", "kent-police")
    assert listed.returncode == 0, listed.stderr
    assert b"kent-police" in listed.stdout
    through_sudo = {**PLAIN_ENV, "SUDO_USER": "jo.smith"}
    added = door(config, "keys", "add-investigator", "--unit=kent-police", "--username", "alice",
                 env=through_sudo)
    assert added.returncode == 0, added.stderr
    assert b"Enrolment code for alice" in added.stdout
    with sqlite3.connect(settings.database_path) as raw:
        details = [row[0] for row in raw.execute("SELECT detail FROM audit_log WHERE action = 'enrolment_requested'")]
    assert len(details) == 1 and "for=alice" in details[0] and "by=jo.smith" in details[0], details
    posing = door(config, "keys", "add-investigator", "--unit", "kent-police", "--username", "bob",
                  "--operator", "someone.else", env=through_sudo)
    assert posing.returncode == 2 and b"names your own login (jo.smith)" in posing.stderr
    staff = door(config, "keys", "list-staff", "--unit", "kent-police")
    assert b"alice" in staff.stdout, staff.stderr
    head = door(config, "audit", "checkpoint")
    assert head.returncode == 0, head.stderr
    verified = door(config, "audit", "verify", "--checkpoint-on-stdin", stdin=head.stdout)
    assert verified.returncode == 0, verified.stderr


async def test_a_key_backup_comes_out_on_standard_output_and_nothing_stays_behind(base: Path) -> None:
    settings, config = await made_by_init(base)
    before = sorted(p.name for p in settings.data_dir.iterdir())
    made = door(config, "keys", "backup", "--operator", "jo.smith")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(b"TIPDROP-KEY-BACKUP\n")
    # A whole database copy is not on the door (insider finding D2): `backup` writes sets.
    copied = door(config, "keys", "backup-db", "--operator", "jo.smith")
    assert copied.returncode == 2 and copied.stdout == b"", copied.stderr
    assert sorted(p.name for p in settings.data_dir.iterdir()) == before


HOSTILE = [
    # another data directory, by every spelling argparse would take
    ("keys", "list-units", "--data-dir", "{evil}"),
    ("keys", "list-units", "--data-dir={evil}"),
    ("keys", "list-units", "--data", "{evil}"),
    ("keys", "list-units", "--data-d={evil}"),
    ("keys", "list-units", "--unit", "kent-police", "--data-dir", "{evil}"),
    ("keys", "list-units", "--unit=--data-dir={evil}"),
    ("keys", "list-units", "--", "--data-dir={evil}"),
    ("keys", "add-onion-client", "--data-dir={evil}"),
    # a file written where the caller chooses: over audit.key, or anywhere
    ("keys", "backup", "--out", "{audit}"),
    ("keys", "backup", "--out={evil}"),
    ("keys", "backup", "--o", "{evil}"),
    ("keys", "backup-db", "--out", "{audit}"),
    ("keys", "rotate-client-auth", "--out-dir", "{evil}"),
    ("backup", "--to", "{evil}"),
    # a file read from where the caller chooses
    ("audit", "verify", "--checkpoint", "{audit}"),
    ("audit", "verify", "--checkpoint={audit}"),
    ("keys", "verify-backup", "{audit}"),
    ("keys", "restore", "--in", "{audit}", "--database", "{evil}"),
    # commands that make a data directory, or are not for the door at all
    ("init",),
    ("restore", "--from", "{evil}", "--key-backup", "{audit}"),
    ("keys", "recover-custodian", "--in", "{audit}"),
    ("serve", "--no-tor"),
    ("demo", "--workdir", "{evil}"),
]


def test_the_door_plans_no_path_the_caller_picks(tmp_path: Path) -> None:
    """Every hostile command line is refused by the door's own allowlist parser."""
    config = door_module.DoorConfig(tmp_path / "data", None)
    for args in HOSTILE:
        given = [a.format(evil=tmp_path / "evil", audit=tmp_path / "data" / "audit.key") for a in args]
        with pytest.raises(door_module.DoorRefused):
            door_module.plan(config, given, tmp_path / "work")


def test_a_parsed_command_naming_another_path_is_refused_however_it_got_there(tmp_path: Path) -> None:
    """The second check, independent of how the command line was spelt."""
    planned = door_module.Plan(["keys", "list-units"], tmp_path / "data", {tmp_path / "data"})
    parser = run.build_parser()
    other = parser.parse_args(["keys", "list-units", f"--data-dir={tmp_path / 'data'}", "--data", "/elsewhere"])
    with pytest.raises(door_module.DoorRefused):
        door_module.check(other, planned)
    written = parser.parse_args(["keys", "backup", f"--data-dir={tmp_path / 'data'}", "--out", "/x/audit.key"])
    with pytest.raises(door_module.DoorRefused):
        door_module.check(written, planned)
    door_module.check(parser.parse_args(["keys", "list-units", f"--data-dir={tmp_path / 'data'}"]), planned)


async def test_the_running_door_refuses_the_traps_and_leaves_audit_key_alone(base: Path) -> None:
    settings, config = await made_by_init(base)
    evil = base / "evil"
    seed = settings.audit_key_path.read_bytes()
    for args in (HOSTILE[2], HOSTILE[8], HOSTILE[14], HOSTILE[18]):
        refused = door(config, *(a.format(evil=evil, audit=settings.audit_key_path) for a in args))
        assert refused.returncode == 2, (args, refused.stderr)
        assert not evil.exists()
        assert settings.audit_key_path.read_bytes() == seed
        assert seed not in refused.stdout


async def test_the_door_takes_nothing_from_the_callers_environment(base: Path) -> None:
    _, config = await made_by_init(base)
    cheap = door(config, "keys", "list-units", env={**PLAIN_ENV, "TIPDROP_KDF": "1,8,1"})
    assert cheap.returncode == 2 and b"TIPDROP_KDF reached the officers' door" in cheap.stderr
    loose = door(config, "keys", "list-units", isolated=False)
    assert loose.returncode == 2 and b"python -I" in loose.stderr


async def test_the_door_refuses_a_config_others_can_write(base: Path) -> None:
    _, config = await made_by_init(base)
    config.chmod(0o666)
    refused = door(config, "keys", "list-units")
    assert refused.returncode == 2 and b"writable only by root" in refused.stderr


@pytest.mark.parametrize("loosened", ["data", "data/audit.key", "data/pepper.key"])
async def test_serve_and_the_door_refuse_a_secret_others_can_read(base: Path, loosened: str) -> None:
    settings, config = await made_by_init(base)
    path = base / loosened
    path.chmod(0o755 if path.is_dir() else 0o640)
    refused = door(config, "keys", "list-units")
    assert refused.returncode == 2
    assert f"{path} can be".encode() in refused.stderr and b"chmod" in refused.stderr
    served = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "serve", "--no-tor", "--data-dir", str(settings.data_dir),
         "--reporter-port", "1", "--investigator-port", "2"],
        capture_output=True, env=PLAIN_ENV, cwd=ROOT, timeout=60,
    )
    assert served.returncode == 1
    assert f"{path} can be".encode() in served.stderr and b"chmod" in served.stderr


def _real_subparser(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = run.build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


def test_every_option_on_the_door_is_the_real_commands_and_none_names_a_path() -> None:
    """The allowlist stays in step with the commands, and never lets a path option through."""
    for path, allowed in door_module.ALLOWED.items():
        actions = {o: a for a in _real_subparser(path)._actions for o in a.option_strings}
        for option in (*allowed.values, *allowed.flags):
            if option == door_module.CHECKPOINT_ON_STDIN:
                continue
            assert option in actions, (path, option)
            assert actions[option].type is not Path, (path, option)
        assert "--data-dir" not in allowed.values
