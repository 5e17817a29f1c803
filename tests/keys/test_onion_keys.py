"""`keys show-onions`, `keys rotate-client-auth` and `keys rotate-onion-client` through the real CLI."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from dropbox_server.web.appkeys import Services
from onion_config import OnionFiles, list_clients, load_or_create_service_key
from tests.officer import OFFICER

ROOT = Path(__file__).resolve().parents[2]


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "keys", *args, "--data-dir", str(data_dir), *OFFICER],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"TIPDROP_KDF": "1,8192,1", "PATH": "/usr/bin"},
    )


def browser_key(output: str, name: str) -> str:
    section = output.split(f"New key for {name};")[1]
    return section.split("Tor Browser asks for:")[1].split()[0]


def public_keys(data_dir: Path) -> dict[str, str]:
    return {c.name: c.public_b32 for c in list_clients(OnionFiles.for_data_dir(data_dir).clients_dir)}


async def test_show_onions_and_rotate_one_client(services: Services) -> None:
    data_dir = services.db.path.parent
    shown = cli(data_dir, "show-onions")
    assert shown.returncode == 0 and "not created yet" in shown.stdout
    assert not OnionFiles.for_data_dir(data_dir).reporter_key.exists(), "showing creates nothing"
    none = cli(data_dir, "rotate-client-auth", "--yes")
    assert none.returncode == 1 and "no authorised clients" in none.stderr
    added = cli(data_dir, "add-onion-client", "alice-laptop")
    assert added.returncode == 0, added.stderr
    old_key = added.stdout.split("Tor Browser asks for:")[1].split()[0]
    missing = cli(data_dir, "rotate-onion-client", "nobody", "--yes")
    assert missing.returncode == 1 and "no investigator onion client" in missing.stderr
    unconfirmed = cli(data_dir, "rotate-onion-client", "alice-laptop")
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    rotated = cli(data_dir, "rotate-onion-client", "alice-laptop", "--yes")
    assert rotated.returncode == 0, rotated.stderr
    assert browser_key(rotated.stdout, "alice-laptop") != old_key
    shown = cli(data_dir, "show-onions")
    address = load_or_create_service_key(OnionFiles.for_data_dir(data_dir).investigator_key).address
    assert f"http://{address}.onion/" in shown.stdout and "alice-laptop" in shown.stdout


async def test_rotate_client_auth_replaces_every_key_and_writes_auth_files(
    services: Services, tmp_path: Path
) -> None:
    data_dir = services.db.path.parent
    for name in ("alice-laptop", "bob-laptop"):
        assert cli(data_dir, "add-onion-client", name).returncode == 0
    before = public_keys(data_dir)
    out_dir = tmp_path / "handover"
    rotated = cli(data_dir, "rotate-client-auth", "--yes", "--out-dir", str(out_dir))
    assert rotated.returncode == 0, rotated.stderr
    after = public_keys(data_dir)
    assert set(after) == set(before) and all(after[n] != before[n] for n in before)
    address = load_or_create_service_key(OnionFiles.for_data_dir(data_dir).investigator_key).address
    for name in before:
        written = out_dir / f"{name}.auth_private"
        assert written.stat().st_mode & 0o777 == 0o600
        assert written.read_text() == f"{address}:descriptor:x25519:{browser_key(rotated.stdout, name)}\n"
    again = cli(data_dir, "rotate-client-auth", "--yes", "--out-dir", str(out_dir))
    assert again.returncode == 1 and "not empty" in again.stderr
    assert public_keys(data_dir) == after, "a refused rotation changes nothing"
    only_bob = cli(data_dir, "rotate-client-auth", "bob-laptop", "--yes")
    assert only_bob.returncode == 0, only_bob.stderr
    final = public_keys(data_dir)
    assert final["alice-laptop"] == after["alice-laptop"] and final["bob-laptop"] != after["bob-laptop"]
    with sqlite3.connect(services.db.path) as conn:
        rotations = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'onion_client_rotated'")
        assert rotations.fetchone()[0] == 3
