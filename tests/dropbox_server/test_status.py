"""`run.py status`: every check driven as monitoring would, through the command line."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from dropbox_server import health
from dropbox_server.clock import parse_day, today
from dropbox_server.config import Settings, UploadLimits
from dropbox_server.datadir import THROWAWAY_NAME
from dropbox_server.services import Services, open_services
from onion_config.onion_keys import OnionFiles
from onion_config.state import OnionState, ServeLock, write_state
from tests.conftest import Sites, init_test_data_dir
from tests.journeys import Reporter
from tests.test_reporter_journey import enrol

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def services(settings: Settings, routing: str) -> AsyncIterator[Services]:
    """A test data directory without its throwaway marker, as `init` makes a real one: a
    throwaway directory never counts as well (tests/keys/test_kdf_floor.py)."""
    await init_test_data_dir(settings, routing=routing)
    (settings.data_dir / THROWAWAY_NAME).unlink()
    async with open_services(settings) as opened:
        yield opened


async def status(data_dir: Path, *extra: str) -> tuple[int, str]:
    """Run `run.py status` as its own process; (exit status, output)."""
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(ROOT / "run.py"), "status", "--data-dir", str(data_dir), *extra],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert done.stderr == "", done.stderr
    return done.returncode, done.stdout


async def checks(data_dir: Path) -> tuple[int, dict[str, Any]]:
    code, out = await status(data_dir, "--json")
    report = json.loads(out)
    assert report["ok"] is (code == 0)
    return code, report["checks"]


def days_ago(days: int) -> str:
    return (parse_day(today()) - timedelta(days=days)).isoformat()


def record_backup(settings: Settings, day: str) -> None:
    settings.backup_state_path.write_text(json.dumps({"last_good_day": day, "kept": 7}))


def tor_seen(data_dir: Path, *, up: bool = True, published: bool = True) -> None:
    """What a running `serve` records (the same writer serve uses)."""
    write_state(OnionFiles.for_data_dir(data_dir).state_file,
                OnionState("launch", up, published, published, 1, 0, today()))


async def test_fresh_install_fails_until_serve_runs_and_a_backup_is_made(
    settings: Settings, services: Services
) -> None:
    code, found = await checks(settings.data_dir)
    assert code == 1
    assert found["tor"]["ok"] is False and found["tor"]["serve_running"] is False
    assert found["reporter"]["ok"] is False and found["investigator"]["ok"] is False
    assert found["backup"] == {"ok": False, "summary": "no good backup yet", "last_good_day": None}
    assert found["database"]["ok"] and found["disk"]["ok"] and found["retention"]["ok"]
    assert found["key holders"]["ok"]  # no unit holds a report yet
    assert found["unit keys"]["ok"] and found["unit keys"]["oldest_days"] == 0

    tor_seen(settings.data_dir)  # a record left behind by a stopped serve counts for nothing
    assert (await checks(settings.data_dir))[1]["tor"]["serve_running"] is False

    record_backup(settings, days_ago(1))
    with ServeLock(OnionFiles.for_data_dir(settings.data_dir).serve_lock):
        code, text = await status(settings.data_dir)
        assert code == 0, text
        assert text.splitlines()[-1] == "All is well."
        assert "FAIL" not in text

        tor_seen(settings.data_dir, published=False)
        code, found = await checks(settings.data_dir)
        assert code == 1 and found["tor"]["ok"] and not found["reporter"]["ok"]
        tor_seen(settings.data_dir, up=False, published=False)
        code, found = await checks(settings.data_dir)
        assert code == 1 and "DOWN" in found["tor"]["summary"]


async def test_backups_too_old_or_unreadable_fail(settings: Settings, services: Services) -> None:
    record_backup(settings, days_ago(3))
    found = (await checks(settings.data_dir))[1]["backup"]
    assert (found["ok"], found["days_since"]) == (False, 3)
    record_backup(settings, days_ago(2))
    assert (await checks(settings.data_dir))[1]["backup"]["ok"] is True
    settings.backup_state_path.write_text("{not json")
    assert (await checks(settings.data_dir))[1]["backup"]["ok"] is False


async def test_reports_nobody_can_open_old_keys_and_overdue_retention_fail(
    sites: Sites, http: aiohttp.ClientSession
) -> None:
    data_dir = sites.settings.data_dir
    typed = "The inspector took the seized phones home."
    await Reporter(http, sites.reporter_url).submit_ok(what_happened=typed)
    row = await sites.services.db.fetch_one("SELECT seq, unit_id FROM reports")
    assert row is not None
    seq, unit = row

    code, out = await status(data_dir, "--json")
    found = json.loads(out)["checks"]
    assert code == 1 and found["key holders"]["ok"] is False and found["key holders"]["with_reports"] == [unit]
    assert typed not in out and "inspector" not in out  # counts and unit ids only

    await enrol(sites, "holder", unit)
    assert (await checks(data_dir))[1]["key holders"]["ok"] is True

    async with sites.services.db.transaction() as tx:
        await tx.execute("UPDATE unit_keys SET created_day = ? WHERE unit_id = ?", (days_ago(800), unit))
        await tx.execute(
            "UPDATE reports SET outcome = 'no-further-action', last_activity_day = ? WHERE seq = ?",
            (days_ago(91), seq),
        )
    found = (await checks(data_dir))[1]
    assert found["unit keys"]["ok"] is False and found["unit keys"]["older_than_limit"] == [unit]
    assert found["retention"] == {"ok": True, "summary": "1 report due for deletion", "due": 1, "overdue": 0}

    async with sites.services.db.transaction() as tx:
        await tx.execute("UPDATE reports SET last_activity_day = ? WHERE seq = ?", (days_ago(93), seq))
    found = (await checks(data_dir))[1]
    assert found["retention"]["ok"] is False and found["retention"]["overdue"] == 1


async def test_a_swapped_key_fails_the_certificates_line(settings: Settings, services: Services) -> None:
    """A database writer's swapped unit key shows on status and the security role's /health."""
    assert (await checks(settings.data_dir))[1]["certificates"]["ok"] is True
    async with services.db.transaction() as tx:
        await tx.execute("UPDATE unit_keys SET public_key = zeroblob(32) WHERE unit_id = 'kent-police'")
    found = (await checks(settings.data_dir))[1]["certificates"]
    assert found["ok"] is False and found["failed_keys"][0].startswith("unit key kent-police")


async def test_a_damaged_database_fails_quick_check(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    await services.db.checkpoint()
    shutil.copy(settings.database_path, copy / settings.database_path.name)
    with open(copy / settings.database_path.name, "r+b") as db_file:
        db_file.seek(4096 * 3)
        db_file.write(b"\xff" * 4096 * 2)  # two b-tree pages overwritten
    code, found = await checks(copy)
    assert code == 1 and found["database"]["ok"] is False
    assert "key holders" not in found


async def test_a_missing_data_directory_fails_with_a_clear_line(tmp_path: Path) -> None:
    code, text = await status(tmp_path / "nowhere")
    assert code == 1 and "is not a data directory" in text and "Traceback" not in text


def test_disk_below_the_watermark_fails(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True)
    free = shutil.disk_usage(settings.data_dir).free
    assert health.disk_check(settings.with_changes(uploads=UploadLimits(free_space_watermark_bytes=free // 2))).ok
    assert not health.disk_check(settings.with_changes(uploads=UploadLimits(free_space_watermark_bytes=free + 2**40))).ok
