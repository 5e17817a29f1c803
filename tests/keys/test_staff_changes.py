"""Password and authenticator resets, moving units, new units, and the onion key commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.custody import keyring, staff_changes
from dropbox_server.custody.revocation import RemovalRefused
from dropbox_server.store import staff as staff_store
from dropbox_server.store import units
from dropbox_server.web.appkeys import Services
from tests.conftest import CHEAP_KDF, custodian_shares_of, unlock_custodian
from tests.keys.test_rotation_revocation import enrol, new_report, readable, unlock
from tests.officer import OFFICER

ROOT = Path(__file__).resolve().parents[2]
STRONG = "granite-owl-meadow-cobalt-lantern"


async def opened_with(services: Services, username: str, password: str) -> keyring.UnlockedStaff:
    row = await staff_store.get_staff_by_username(services.db, username)
    assert row is not None
    return await keyring.unlock_staff(services.db, row, keyring.unwrap_staff_key(row, password))


async def test_password_reset_with_the_old_password_keeps_the_key(services: Services) -> None:
    await enrol(services, "alice")
    before = await staff_store.get_staff_by_username(services.db, "alice")
    with pytest.raises(staff_changes.StaffChangeRefused, match="old password is wrong"):
        await staff_changes.reset_password(
            services.db, "alice", "new password!", CHEAP_KDF, old_password="nope"
        )
    done = await staff_changes.reset_password(
        services.db, "alice", "new password!", CHEAP_KDF, old_password="pw-alice-long-enough"
    )
    assert done.username == "alice"
    alice = await opened_with(services, "alice", "new password!")
    assert before is not None and alice.staff.public_key == before.public_key
    with pytest.raises(envelope.WrongPassword):
        keyring.unwrap_staff_key(alice.staff, "pw-alice-long-enough")


async def test_moving_units(services: Services) -> None:
    await enrol(services, "alice")
    await enrol(services, "bob")
    kent_report = await new_report(services, "a kent report")
    custodian = await unlock_custodian(services.db)
    bob_before = await unlock(services.db, "bob")
    new_key = await staff_changes.move_staff(services.db, "bob", "essex-police", custodian, today())
    current = await units.current_unit_key(services.db, "kent-police")
    assert new_key is not None and current is not None and current.id == new_key
    assert new_key not in bob_before.unit_keys
    later = await new_report(services, "a kent report after bob left")
    assert not await readable(services, later, bob_before.unit_keys)
    bob = await unlock(services.db, "bob")
    assert bob.staff.unit_id == "essex-police"
    assert not await readable(services, kent_report, bob.unit_keys)
    essex_keys = {k.id for k in await units.unit_keys(services.db, "essex-police")}
    assert set(bob.unit_keys) == essex_keys
    alice = await unlock(services.db, "alice")
    assert await readable(services, later, alice.unit_keys)
    with pytest.raises(staff_changes.StaffChangeRefused, match="already in"):
        await staff_changes.move_staff(services.db, "bob", "essex-police", custodian, today())
    with pytest.raises(staff_changes.StaffChangeRefused, match="unknown unit"):
        await staff_changes.move_staff(services.db, "bob", "atlantis", custodian, today())


async def test_moving_the_last_key_holder_out_is_refused_unless_forced(services: Services) -> None:
    await enrol(services, "alice")
    custodian = await unlock_custodian(services.db)
    with pytest.raises(RemovalRefused, match="last member of kent-police"):
        await staff_changes.move_staff(services.db, "alice", "essex-police", custodian, today())
    alice = await unlock(services.db, "alice")
    assert alice.staff.unit_id == "kent-police"
    await staff_changes.move_staff(services.db, "alice", "essex-police", custodian, today(), force=True)
    assert (await unlock(services.db, "alice")).staff.unit_id == "essex-police"


async def test_creating_a_unit(services: Services) -> None:
    key_id = await staff_changes.create_unit(services.db, "new-force", "New Force: PSD", "force", today())
    assert [k.id for k in await units.unit_keys(services.db, "new-force")] == [key_id]
    with pytest.raises(staff_changes.StaffChangeRefused, match="exists already"):
        await staff_changes.create_unit(services.db, "new-force", "Again", "force", today())
    await enrol(services, "nina", "new-force")
    nina = await unlock(services.db, "nina")
    assert set(nina.unit_keys) == {key_id}


def cli(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "keys", *args, "--data-dir", str(data_dir), *OFFICER],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"TIPDROP_KDF": "1,8192,1", "PATH": "/usr/bin"},
    )


async def test_account_commands(services: Services) -> None:
    data_dir = services.db.path.parent
    shares = "".join(s + "\n" for s in custodian_shares_of(data_dir)[:2])
    created = cli(data_dir, "create-unit", "--id", "renamed-force", "--name", "Renamed Force: PSD", "--yes",
                  stdin=shares)
    assert created.returncode == 0, created.stderr
    listed = cli(data_dir, "list-units")
    assert "renamed-force" in listed.stdout
    await enrol(services, "alice")
    moved = cli(
        data_dir,
        "move-investigator",
        "--username",
        "alice",
        "--to-unit",
        "essex-police",
        "--yes",
        stdin=shares,
    )
    assert moved.returncode == 1 and "last member of kent-police" in moved.stderr
    lost = cli(
        data_dir,
        "reset-password",
        "--username",
        "alice",
        "--old-password-lost",
        "--yes",
        stdin="not a share at all\n",
    )
    assert lost.returncode == 1 and "not a valid share" in lost.stderr
    rekeyed = cli(
        data_dir,
        "reset-password",
        "--username",
        "alice",
        "--old-password-lost",
        "--yes",
        stdin=f"{shares}{STRONG}\n",
    )
    assert rekeyed.returncode == 1 and "nothing was changed" in rekeyed.stderr, "the officer types no password"
    rekeyed = cli(
        data_dir,
        "reset-password",
        "--username",
        "alice",
        "--old-password-lost",
        "--yes",
        stdin=shares,
    )
    assert rekeyed.returncode == 0 and "Re-key code for alice" in rekeyed.stdout, rekeyed.stderr
    verified = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "audit", "verify", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin"},
    )
    assert verified.returncode == 0, verified.stdout
