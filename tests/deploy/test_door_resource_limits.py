"""Finding D3 (fixed): the officer's own `ulimit -f` hung the door's database commands for good.

sudo runs the command with the caller's resource limits (all but the core size). Under
`ulimit -f 0` a failed write of the database's shared-memory file left the command waiting
forever, as the service user, with the database open, and a failed write elsewhere printed a
Python traceback (D3b). The door now raises each soft limit it depends on to the hard one and
refuses, before opening anything, when a hard limit is too low; any other OSError becomes one
line with no path. `test_a_hard_file_size_limit_is_refused_at_once` passed as "attack
succeeds" (the command timed out) and `..._with_a_message_not_a_traceback` showed the
traceback before the fix; both are regression tests now.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.deploy.door_process import ROOT, THROUGH_SUDO, door, made_by_init, said

HANG_SECONDS = 30  # the command itself takes about a second; it used to never finish


def _audit_rows(database: Path) -> int:
    with sqlite3.connect(database) as raw:
        return int(raw.execute("SELECT count(*) FROM audit_log").fetchone()[0])


async def test_a_hard_file_size_limit_is_refused_at_once(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)
    seed = settings.audit_key_path.read_bytes()
    control = door(config, "keys", "add-investigator", "--unit", "kent-police", "--username", "bob")
    assert control.returncode == 0, said(control)
    rows = _audit_rows(settings.database_path)
    refused = door(config, "keys", "add-investigator", "--unit", "kent-police", "--username", "alice",
                   file_size_limit=0, timeout=HANG_SECONDS)
    assert refused.returncode == 2, said(refused)
    assert "hard resource limits are too low" in said(refused)
    assert "file size (`ulimit -H -f` must be unlimited)" in said(refused)
    assert "nothing was changed" in said(refused)
    assert b"Traceback" not in refused.stderr
    assert _audit_rows(settings.database_path) == rows
    assert settings.audit_key_path.read_bytes() == seed
    after = door(config, "audit", "verify")
    assert after.returncode == 0, said(after)


async def test_a_soft_file_size_limit_is_raised_and_the_command_runs(tmp_path: Path) -> None:
    """`ulimit -S -f 0` (the hard limit left as it was): the door raises it and works."""
    _, config = await made_by_init(tmp_path)
    added = door(config, "keys", "add-investigator", "--unit", "kent-police", "--username", "alice",
                 file_size_limit=0, soft_only=True, timeout=HANG_SECONDS)
    assert added.returncode == 0, said(added)
    assert b"Enrolment code for alice" in added.stdout


async def test_defence_a_file_size_limit_leaves_no_half_written_onion_client(tmp_path: Path) -> None:
    """A client file that cannot be written is not left behind."""
    settings, config = await made_by_init(tmp_path)
    clients = settings.data_dir / "onion" / "investigator_clients"
    refused = door(config, "keys", "add-onion-client", "jo", file_size_limit=10)
    assert refused.returncode != 0
    assert not clients.exists() or list(clients.iterdir()) == []


async def test_a_failed_write_is_refused_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    """Low (D3b): the door's users got a Python traceback (paths of the data directory)."""
    _, config = await made_by_init(tmp_path)
    refused = door(config, "keys", "add-onion-client", "jo", file_size_limit=10)
    assert refused.returncode == 2, said(refused)
    assert b"Traceback (most recent call last)" not in refused.stderr
    assert b"File too large" not in refused.stderr


async def test_an_os_error_in_a_command_is_one_line_without_a_path(tmp_path: Path) -> None:
    """Any other failed write (here: a key backup into a full standard output) gets one line."""
    settings, config = await made_by_init(tmp_path)
    with open("/dev/full", "wb") as full:
        refused = subprocess.run(
            [sys.executable, "-I", str(ROOT / "run.py"), "officer-door", str(config), "keys", "backup"],
            stdin=subprocess.DEVNULL, stdout=full, stderr=subprocess.PIPE, env=THROUGH_SUDO, cwd="/",
            timeout=120, check=False,
        )
    told = refused.stderr.decode()
    assert refused.returncode == 1, told
    assert "Traceback" not in told
    assert "error: a file could not be written or read (No space left on device); 2 change(s) made" in told
    assert "Exception ignored" not in told
    [line] = [line for line in told.splitlines() if line.startswith("error:")]
    assert "/" not in line, line  # no path in the door's own line
    assert not [p for p in settings.data_dir.iterdir() if p.name.startswith(".officer-door-")]
