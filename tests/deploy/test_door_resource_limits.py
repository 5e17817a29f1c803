"""Finding D3: the officer's own `ulimit -f` hangs the door's database commands for good.

sudo runs the command with the caller's resource limits (all but the core size). The door
ignores SIGXFSZ so that a write fails rather than kills it, but a failed write of the
database's shared-memory file leaves the command waiting forever, as the service user, with
the database open; SIGTERM (what sudo relays) does not end it. Each `ulimit -f 0; sudo -u
tipdrop tipdrop-keys ...` leaves one more such process. Nothing on disk was damaged in our
runs (SQLite rolls back), so this is a denial of service, not a plant.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.deploy.door_process import door, made_by_init, said

HANG_SECONDS = 30  # the command itself takes about a second; it never finishes under the limit


async def test_attack_succeeds_a_file_size_limit_hangs_a_database_command(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)
    seed = settings.audit_key_path.read_bytes()
    control = door(config, "keys", "add-investigator", "--unit", "kent-police", "--username", "bob")
    assert control.returncode == 0, said(control)
    # ATTACK SUCCEEDS: the same kind of command with `ulimit -f 0` never returns.
    with pytest.raises(subprocess.TimeoutExpired):  # subprocess.run kills it once it times out
        door(config, "keys", "add-investigator", "--unit", "kent-police", "--username", "alice",
             file_size_limit=0, timeout=HANG_SECONDS)
    assert settings.audit_key_path.read_bytes() == seed
    after = door(config, "audit", "verify")
    assert after.returncode == 0, said(after)


async def test_defence_a_file_size_limit_leaves_no_half_written_onion_client(tmp_path: Path) -> None:
    """A client file that cannot be written is not left behind (though the message is a traceback)."""
    settings, config = await made_by_init(tmp_path)
    clients = settings.data_dir / "onion" / "investigator_clients"
    refused = door(config, "keys", "add-onion-client", "jo", file_size_limit=10)
    assert refused.returncode != 0
    assert not clients.exists() or list(clients.iterdir()) == []


async def test_attack_succeeds_a_failed_write_shows_the_officer_a_traceback(tmp_path: Path) -> None:
    """Low: the door's users get a Python traceback (paths of the data directory) instead of a message."""
    _, config = await made_by_init(tmp_path)
    refused = door(config, "keys", "add-onion-client", "jo", file_size_limit=10)
    assert b"Traceback (most recent call last)" in refused.stderr
    assert b"File too large" in refused.stderr
