"""The K-shares gate on create/retire/rename-unit and `audit acknowledge` checks shares against
the pinned, certified custodian key, not the key as the database stores it.

A database writer (no audit.key, no shares) swaps custodian.public_key for a key they made and
split themselves; one officer then feeds those shares to the door. The gate refuses, records
a failed key check, and health stays red after the writer swaps the key back
(insider findings U1 and U7).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from dropbox_server import custodian_shares, envelope, health
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.reports.unit_choices import force_choices
from dropbox_server.store import open_database
from tests.conftest import TEST_SHARES
from tests.deploy.door_process import door, made_by_init, said
from tests.keys.key_swap import swap_refuse_and_put_back


def _writer_swaps_custodian(db_path: Path) -> tuple[bytes, bytes]:
    """The writer's own custodian key, split the way the service splits it; returns
    (the original public key, the writer's K shares as the door reads them)."""
    private = os.urandom(envelope.KEY_BYTES)
    shares = custodian_shares.split(private, TEST_SHARES.threshold, TEST_SHARES.count)
    with sqlite3.connect(db_path) as raw:
        (original,) = raw.execute("SELECT public_key FROM custodian WHERE id = 1").fetchone()
        raw.execute("UPDATE custodian SET public_key = ? WHERE id = 1", (envelope.public_key_of(private),))
    return bytes(original), "".join(s + "\n" for s in shares[: TEST_SHARES.threshold]).encode()


def _writer_puts_back(db_path: Path, original: bytes) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE custodian SET public_key = ? WHERE id = 1", (original,))


def failing(settings: Settings) -> set[str]:
    """The health checks that fail (a test directory fails some, e.g. tor, from the start)."""
    return {c.name for c in health.gather(settings, today()).checks if not c.ok}


async def test_one_officer_with_a_writers_custodian_cannot_retire_kent(tmp_path: Path) -> None:
    """Regression (insider finding U1, was 'attack succeeds')."""
    settings, config = await made_by_init(tmp_path)
    original, fake_shares = _writer_swaps_custodian(settings.database_path)
    retired = door(config, "keys", "retire-unit", "--id", "kent-police", "--yes", stdin=fake_shares)
    _writer_puts_back(settings.database_path, original)
    assert retired.returncode == 1 and "nothing was changed" in said(retired), said(retired)
    assert "Traceback" not in said(retired)
    db = await open_database(settings.database_path)
    try:
        assert "kent-police" in {f.unit_id for f in await force_choices(db)}
    finally:
        await db.close()
    assert "certificates" in failing(settings)  # the swap was seen and stays on the record


async def test_one_officer_with_a_writers_custodian_cannot_clear_the_key_alarm(tmp_path: Path) -> None:
    """Regression (insider finding U1, was 'attack succeeds'): insider finding F4's last step, by
    one officer and a writer: a unit key swapped and refused, swapped back, then the refusal
    acknowledged with the writer's shares. Refused; the alarm stands."""
    settings, config = await made_by_init(tmp_path)
    baseline = failing(settings)
    assert "certificates" not in baseline and "audit chain" not in baseline
    await swap_refuse_and_put_back(settings.database_path)  # refused to seal to it, and logged
    assert "certificates" in failing(settings)  # the alarm stands: one refusal unacknowledged

    original, fake_shares = _writer_swaps_custodian(settings.database_path)
    acked = door(config, "audit", "acknowledge", stdin=fake_shares)
    _writer_puts_back(settings.database_path, original)
    assert acked.returncode == 1 and "nothing was changed" in said(acked), said(acked)
    assert "certificates" in failing(settings)  # the alarm stands
    with sqlite3.connect(settings.database_path) as raw:
        acks = raw.execute("SELECT count(*) FROM audit_log WHERE action = 'key_checks_acknowledged'").fetchone()
    assert acks == (0,)


async def test_defence_the_same_share_twice_is_refused(tmp_path: Path) -> None:
    from tests.conftest import custodian_shares_of

    settings, config = await made_by_init(tmp_path)
    one = custodian_shares_of(settings.data_dir)[0]
    result = door(config, "keys", "retire-unit", "--id", "kent-police", "--yes",
                  stdin=(one + "\n" + one + "\n").encode())
    assert result.returncode == 1 and "nothing was changed" in said(result), said(result)


async def test_defence_shares_of_another_split_are_refused(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)
    other = custodian_shares.split(os.urandom(32), TEST_SHARES.threshold, TEST_SHARES.count)
    for command in (("keys", "retire-unit", "--id", "kent-police", "--yes"), ("audit", "acknowledge")):
        result = door(config, *command, stdin="".join(s + "\n" for s in other[:2]).encode())
        assert result.returncode == 1 and "nothing was changed" in said(result), said(result)
    with sqlite3.connect(settings.database_path) as raw:
        assert raw.execute("SELECT retired_day FROM units WHERE id = 'kent-police'").fetchone() == (None,)



async def test_the_writers_shares_cannot_rename_a_unit(tmp_path: Path) -> None:
    """Regression (insider finding U1, was 'attack succeeds')."""
    settings, config = await made_by_init(tmp_path)
    original, fake_shares = _writer_swaps_custodian(settings.database_path)
    result = door(config, "keys", "rename-unit", "--id", "essex-police", "--name", "Essex and Kent Police",
                  "--yes", stdin=fake_shares)
    _writer_puts_back(settings.database_path, original)
    assert result.returncode == 1 and "nothing was changed" in said(result), said(result)
    with sqlite3.connect(settings.database_path) as raw:
        assert raw.execute("SELECT name FROM units WHERE id = 'essex-police'").fetchone() != ("Essex and Kent Police",)
    assert "certificates" in failing(settings)


CREATE = ("keys", "create-unit", "--id", "kent-anti-corruption", "--name", "Kent Anti-Corruption Unit", "--yes")
ROUTING = ("keys", "set-routing", "--routing", "desk")


@pytest.mark.parametrize("command", [CREATE, ROUTING])
async def test_defence_commands_that_seal_to_the_custodian_check_its_certificate(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """The writer's shares pass the gate, but making a unit key (create-unit, the desk) seals to
    the certified custodian key: refused, nothing made, and the refusal keeps health failing."""
    settings, config = await made_by_init(tmp_path)
    original, fake_shares = _writer_swaps_custodian(settings.database_path)
    result = door(config, *command, stdin=fake_shares)
    _writer_puts_back(settings.database_path, original)
    assert result.returncode != 0
    with sqlite3.connect(settings.database_path) as raw:
        assert raw.execute("SELECT count(*) FROM units WHERE id IN ('kent-anti-corruption', 'desk')"
                           ).fetchone() == (0,)
    assert "certificates" in failing(settings)


@pytest.mark.parametrize("command", [CREATE, ROUTING])
async def test_the_refusal_reaches_the_officer_as_one_friendly_line(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Regression (insider finding U7, was 'attack succeeds'): no Python traceback."""
    settings, config = await made_by_init(tmp_path)
    original, fake_shares = _writer_swaps_custodian(settings.database_path)
    result = door(config, *command, stdin=fake_shares)
    _writer_puts_back(settings.database_path, original)
    assert result.returncode == 1 and "nothing was changed" in said(result), said(result)
    assert "Traceback" not in said(result)
