"""Defences of the officers' door that held in the insider review of the door (findings D1-D5)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from dropbox_server.cli import door as door_module
from tests.deploy.door_process import OFFICER, ROOT, THROUGH_SUDO, door, made_by_init, said


def _audit_rows(settings_db: Path) -> int:
    with sqlite3.connect(settings_db) as raw:
        return int(raw.execute("SELECT count(*) FROM audit_log").fetchone()[0])


def _secrets(data_dir: Path) -> dict[str, str]:
    names = ("audit.key", "pepper.key", "custodian.pub", "receipt-kdf.json")
    return {n: hashlib.sha256((data_dir / n).read_bytes()).hexdigest() for n in names}


SMUGGLED = [
    ("keys", "list-units", "--d\u0430ta-dir", "/tmp"),  # Cyrillic a
    ("keys", "list-units", "\u2014data-dir", "/tmp"),  # an em dash is a plain name here: none allowed
    ("keys", "list-units", "--unit", "kent\npolice"),
    ("keys", "list-units", "--unit", "k" * 201),
    ("keys", "list-units", "--unit", "-kent"),
    ("keys", "add-onion-client", "--", "--data-dir=/tmp"),
    ("keys", "add-onion-client", "-x"),
    ("keys", "add-investigator", "--unit=kent-police", "--username=a", "--role=security", "--operat=x"),
    ("keys", "reset-totp", "--username", "carol", "--yes=1"),
    ("keys", "create-unit", "--id", "x", "--name", "Kent Police", "--nam=Kent"),
    ("keys", "create-unit", "--id", "x", "--name", "-Kent Police"),
    ("keys", "create-unit", "--id", "x", "--name", "Kent\tPolice"),
    ("keys", "retire-unit", "--id=kent-police", "--data-dir=/tmp"),
    ("keys", "rotate-client-auth", "--out-dir=/tmp"),
    ("stats", "--from", "2026-01", "--to", "2026-02", "--data-dir=/tmp"),
    ("backup", "--keep", "1", "--to=/tmp"),
    ("audit", "verify", "--checkpoint-on-stdin", "--checkpoint=/etc/passwd"),
    ("KEYS", "list-units"),
    ("keys", "list-units\u00a0"),
]


@pytest.mark.parametrize("args", SMUGGLED)
def test_defence_smuggled_spellings_are_refused_before_anything_runs(tmp_path: Path, args: tuple[str, ...]) -> None:
    config = door_module.DoorConfig(tmp_path / "data", tmp_path / "sets")
    with pytest.raises((door_module.DoorRefused, SystemExit)) as caught:
        door_module.plan(config, list(args), tmp_path / "work", login=OFFICER)
    if isinstance(caught.value, SystemExit):
        assert caught.value.code != 0


def test_defence_through_sudo_the_operator_is_the_callers_login(tmp_path: Path) -> None:
    config = door_module.DoorConfig(tmp_path / "data", None)
    with pytest.raises(door_module.DoorRefused):
        door_module.plan(config, ["keys", "retire-unit", "--id", "x", "--operator", "someone.else"],
                         tmp_path / "work", login=OFFICER)
    planned = door_module.plan(config, ["keys", "retire-unit", "--id", "x"], tmp_path / "work", login=OFFICER)
    assert f"--operator={OFFICER}" in planned.argv
    assert planned.argv.index(f"--data-dir={tmp_path / 'data'}") == len(planned.argv) - 1


async def test_defence_a_name_that_looks_like_a_file_is_only_a_name(tmp_path: Path) -> None:
    """No `@file` expansion anywhere: an onion client called '@/etc/shadow' is refused by name."""
    settings, config = await made_by_init(tmp_path)
    refused = door(config, "keys", "add-onion-client", "@" + str(settings.audit_key_path))
    assert refused.returncode != 0 and b"Traceback" not in refused.stderr
    assert settings.audit_key_path.read_bytes() not in refused.stdout + refused.stderr


async def test_defence_the_checkpoint_on_stdin_is_bounded_and_checked(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)
    huge = door(config, "audit", "verify", "--checkpoint-on-stdin", stdin=b"x" * (64 * 1024 + 1))
    assert huge.returncode == 2 and b"too large" in huge.stderr
    crafted = b"tipdrop audit checkpoint v1\nsequence: -1\nhash: ../../audit.key\nsignature: \x00\n"
    bad = door(config, "audit", "verify", "--checkpoint-on-stdin", stdin=crafted)
    assert bad.returncode != 0 and b"Traceback" not in bad.stderr, said(bad)
    assert not list(settings.data_dir.glob(".officer-door-*"))  # the workspace went too


async def test_defence_commands_that_need_shares_refuse_an_officer_without_them(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)
    before, rows = _secrets(settings.data_dir), _audit_rows(settings.database_path)
    for args in (
        ("keys", "approve-first", "--username", "nobody"),
        ("keys", "move-investigator", "--username", "nobody", "--to-unit", "kent-police", "--yes"),
        ("keys", "certify-restored", "--yes"),
        ("keys", "reshare", "--threshold", "2", "--shares", "3", "--yes"),
        ("keys", "split-custodian", "--threshold", "2", "--shares", "3"),
        ("keys", "reset-password", "--username", "nobody", "--old-password-lost", "--yes"),
        ("keys", "create-unit", "--id", "new-force", "--name", "New Force Police", "--yes"),
        ("keys", "retire-unit", "--id", "kent-police", "--yes"),
        ("audit", "acknowledge"),
        ("audit", "rekey"),
    ):
        refused = door(config, *args, stdin=b"")
        assert refused.returncode != 0, (args, said(refused))
        assert b"Traceback" not in refused.stderr, args
    assert _secrets(settings.data_dir) == before
    assert _audit_rows(settings.database_path) == rows


async def test_defence_nothing_the_door_makes_is_open_to_group_or_others(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path, backup_dir=tmp_path / "sets")
    for args in (("audit", "checkpoint"), ("keys", "add-onion-client", "jo"), ("backup",),
                 ("keys", "add-investigator", "--unit", "kent-police", "--username", "alice")):
        ran = door(config, *args)
        assert ran.returncode == 0, said(ran)
    made = [*settings.data_dir.rglob("*"), *(tmp_path / "sets").rglob("*")]
    assert any(p.name == "jo.auth" for p in made) and any(p.name == "manifest.json" for p in made)
    opened = [str(p) for p in made if stat.S_IMODE(p.lstat().st_mode) & 0o077]
    assert opened == []


async def test_defence_the_wrapper_drops_the_callers_environment(tmp_path: Path) -> None:
    """deploy/door/tipdrop-keys with this checkout's paths: PYTHONPATH, a planted package in the
    caller's folder, TIPDROP_KDF and friends never reach Python; SUDO_USER does."""
    settings, config = await made_by_init(tmp_path)
    wrapper = tmp_path / "tipdrop-keys"
    text = (ROOT / "deploy" / "door" / "tipdrop-keys").read_text()
    text = text.replace("/opt/tipdrop/.venv/bin/python", str(ROOT / ".venv" / "bin" / "python"))
    wrapper.write_text(text.replace("/opt/tipdrop", str(ROOT)).replace("/etc/tipdrop/door.toml", str(config)))
    wrapper.chmod(0o755)
    planted = tmp_path / "planted"
    (planted / "dropbox_server").mkdir(parents=True)
    marker = tmp_path / "planted-ran"
    (planted / "dropbox_server" / "__init__.py").write_text(f"open({str(marker)!r}, 'w')\n")
    (planted / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'w')\n")
    hostile = {**THROUGH_SUDO, "PYTHONPATH": str(planted), "PYTHONSTARTUP": str(planted / "sitecustomize.py"),
               "PYTHONHOME": str(planted), "TIPDROP_KDF": "1,8,1", "HOME": str(planted), "TMPDIR": str(planted)}
    ran = subprocess.run([str(wrapper), "keys", "add-investigator", "--unit", "kent-police", "--username", "eve"],
                         env=hostile, cwd=planted, capture_output=True)
    assert ran.returncode == 0, said(ran)
    assert not marker.exists()
    assert sorted(os.listdir(planted)) == ["dropbox_server", "sitecustomize.py"]  # no temp files there
    with sqlite3.connect(settings.database_path) as raw:
        detail = raw.execute("SELECT detail FROM audit_log WHERE action = 'enrolment_requested'").fetchone()[0]
    assert f"by={OFFICER}" in detail


async def test_defence_a_key_backup_names_no_path_of_the_door(tmp_path: Path) -> None:
    """The door's private workspace (inside the data directory) is none of the caller's business:
    `keys backup` says what it wrote in neutral words (issue 18 follow-up: it printed the path)."""
    settings, config = await made_by_init(tmp_path)
    made = door(config, "keys", "backup")
    assert made.returncode == 0 and made.stdout.startswith(b"TIPDROP-KEY-BACKUP\n"), said(made)
    lines = made.stderr.decode("utf-8", "replace").splitlines()
    told = "\n".join(line for line in lines if "THROWAWAY" not in line)  # test directories only
    assert "Wrote the key backup" in told, told
    assert str(settings.data_dir) not in told and ".officer-door" not in told, told
