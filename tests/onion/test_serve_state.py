"""What `serve` records for `status`, its lock, and the onion tor's state per test network."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from onion_config import TorError
from onion_config.service import state_dir_for_network
from onion_config.state import OnionState, ServeLock, read_state, serve_is_running, write_state

STATE = OnionState("launch", True, True, False, 2, 1, "2026-01-02")


def test_state_round_trips_private_and_without_content(tmp_path: Path) -> None:
    path = tmp_path / "onion" / "serve-state.json"
    write_state(path, STATE)
    assert read_state(path) == STATE
    assert path.stat().st_mode & 0o777 == 0o600
    assert set(json.loads(path.read_text())) == {
        "mode", "tor_up", "reporter_published", "investigator_published",
        "investigator_clients", "tor_restarts", "day",
    }
    assert [p.name for p in path.parent.iterdir()] == ["serve-state.json"]  # no temp file left


@pytest.mark.parametrize("text", ["", "{", "[]", '{"mode": "launch"}'])
def test_unreadable_state_reads_as_none(tmp_path: Path, text: str) -> None:
    path = tmp_path / "serve-state.json"
    path.write_text(text)
    assert read_state(path) is None
    assert read_state(tmp_path / "missing.json") is None


def test_one_serve_per_data_directory_and_status_sees_it(tmp_path: Path) -> None:
    lock = tmp_path / "onion" / "serve.lock"
    assert not serve_is_running(lock)
    with ServeLock(lock):
        assert serve_is_running(lock)
        with pytest.raises(TorError, match="already publishing"), ServeLock(lock):
            pass
        other = subprocess.run(  # another process, as `status` is
            [sys.executable, "-c",
             "import sys; from pathlib import Path; from onion_config.state import serve_is_running;"
             f" sys.exit(0 if serve_is_running(Path({str(lock)!r})) else 1)"],
            cwd=Path(__file__).resolve().parents[2], timeout=60, check=False,
        )
        assert other.returncode == 0
    assert not serve_is_running(lock)  # released, even though the file stays


def test_onion_tor_state_is_fresh_for_each_network(tmp_path: Path) -> None:
    """An onion tor's guard sample from an earlier network must not survive into a new one."""
    workdir = tmp_path / "tor-testnet"
    (workdir / "data").mkdir(parents=True)
    (workdir / "data" / "state").write_text("Guard in=default rsa_id=OLD sampled_on=...\n")
    assert state_dir_for_network(workdir, "network-a") == workdir
    assert not (workdir / "data").exists()  # a leftover without a network id is discarded
    (workdir / "data").mkdir()
    (workdir / "data" / "state").write_text("Guard in=default rsa_id=A\n")
    state_dir_for_network(workdir, "network-a")
    assert (workdir / "data" / "state").exists()  # the same network keeps its state
    state_dir_for_network(workdir, "network-b")
    assert not (workdir / "data").exists()
    assert (workdir / "network-id").read_text().strip() == "network-b"
