"""deploy/door: the sudoers fragment, the wrapper and the config that make the officers' door.

The fragment is checked by sudo's own `visudo` where it is installed; the wrapper is run for
real (its fixed paths pointed at this checkout and a test directory) with a hostile
environment, which it must drop before Python starts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dropbox_server.cli import door
from dropbox_server.config import Settings
from tests.conftest import CHEAP_KDF, init_test_data_dir

ROOT = Path(__file__).resolve().parents[2]
DOOR = ROOT / "deploy" / "door"


@pytest.mark.skipif(shutil.which("visudo") is None, reason="sudo (visudo) is not installed here")
def test_visudo_accepts_the_fragment() -> None:
    done = subprocess.run(["visudo", "-cf", str(DOOR / "sudoers")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_fragment_grants_the_officers_the_wrapper_and_nothing_else() -> None:
    rules = [
        line for line in (DOOR / "sudoers").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules == [
        "Cmnd_Alias TIPDROP_DOOR = /usr/local/sbin/tipdrop-keys",
        "Defaults!TIPDROP_DOOR env_reset, !setenv, log_allowed, log_denied",
        "%tipdrop-officers ALL = (tipdrop) TIPDROP_DOOR",
    ]


def test_the_wrapper_empties_the_environment_and_names_the_root_owned_config() -> None:
    text = (DOOR / "tipdrop-keys").read_text()
    command = text[text.index("exec "):]
    assert re.search(r"exec /usr/bin/env -i ", command)
    assert "/opt/tipdrop/.venv/bin/python -I /opt/tipdrop/run.py officer-door /etc/tipdrop/door.toml \"$@\"" in command


def test_the_shipped_config_names_the_production_data_directory() -> None:
    config = door.read_config(DOOR / "door.toml")
    assert config == door.DoorConfig(Path("/var/lib/tipdrop/data"), Path("/var/backups/tipdrop"))


async def test_the_wrapper_drops_the_callers_environment(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)
    await init_test_data_dir(settings)
    config = tmp_path / "door.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\n')
    config.chmod(0o644)
    wrapper = tmp_path / "tipdrop-keys"
    wrapper.write_text(
        (DOOR / "tipdrop-keys").read_text()
        .replace("/opt/tipdrop/.venv/bin/python", sys.executable)
        .replace("/opt/tipdrop/run.py", str(ROOT / "run.py"))
        .replace("/etc/tipdrop/door.toml", str(config))
    )
    wrapper.chmod(0o755)
    hostile = {"PATH": "/usr/bin:/bin", "TIPDROP_KDF": "1,8,1", "PYTHONPATH": str(tmp_path / "evil")}
    done = subprocess.run([str(wrapper), "keys", "list-units", "--unit", "kent-police"],
                          capture_output=True, env=hostile, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"kent-police" in done.stdout
    assert b"TIPDROP_KDF" not in done.stderr
