"""Backup sets: rotation keeps N, a failed backup leaves no set and no new state, and a damaged
set is refused before anything is written."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dropbox_server.backups import sets
from dropbox_server.backups.restore import restore_set
from dropbox_server.config import Settings
from dropbox_server.services import Services
from tests.backups.helpers import ROOT, settings_at, submit


def set_names(target: Path) -> list[str]:
    return [p.name for p in sets.existing_sets(target)]


async def test_rotation_keeps_the_newest_n_and_names_carry_only_the_day(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    target = tmp_path / "sets"
    for day in ("2026-01-01", "2026-01-02", "2026-01-02", "2026-01-02", "2026-01-03"):
        made = sets.make_backup(settings, target, 2, day)
    # Days, not sets, are kept (insider finding D4): of a kept day its first and newest set.
    assert set_names(target) == ["tipdrop-2026-01-02", "tipdrop-2026-01-02-3", "tipdrop-2026-01-03"]
    assert [p.name for p in made.removed] == ["tipdrop-2026-01-01"]
    assert not list(target.glob(".incomplete-*"))
    assert target.stat().st_mode & 0o777 == 0o700
    assert (made.path / "tipdrop.sqlite3").stat().st_mode & 0o777 == 0o600
    manifest = json.loads((made.path / "manifest.json").read_text())
    assert manifest == {"day": "2026-01-03", "file_bytes": 0, "files": 0, "format": 1, "key_backup_day": None}


async def test_a_missing_attachment_fails_the_backup_and_keeps_the_last_good_state(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    target = tmp_path / "sets"
    await submit(services, settings, "kent-police", "with a file", {"a.bin": b"x" * 1000})
    good = sets.make_backup(settings, target, 5, "2026-01-01")
    sets.write_state(settings.data_dir, "2026-01-01", good.path)
    [stored] = [p for p in settings.files_dir.iterdir() if p.is_file()]
    stored.unlink()
    with pytest.raises(sets.BackupSetError, match="missing"):
        sets.make_backup(settings, target, 5, "2026-01-02")
    assert set_names(target) == ["tipdrop-2026-01-01"]
    assert not list(target.glob(".incomplete-*")), "no half-written set is left behind"
    state = json.loads((settings.data_dir / "backup-state.json").read_text())
    assert state == {"last_good_day": "2026-01-01", "path": str(good.path)}


async def test_a_damaged_set_is_refused_before_anything_is_written(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    await submit(services, settings, "kent-police", "with a file", {"a.bin": b"y" * 5000})
    made = sets.make_backup(settings, tmp_path / "sets", 5, "2026-01-01")
    [copy] = list((made.path / "files").iterdir())
    copy.write_bytes(copy.read_bytes()[:-1])
    target = settings_at(tmp_path / "restored")
    called: list[Path] = []

    async def keys_step(database: Path) -> object:
        called.append(database)
        raise AssertionError("must not be reached")

    with pytest.raises(sets.BackupSetError, match="missing or damaged"):
        await restore_set(made.path, target, keys_step)
    assert called == [] and not target.data_dir.exists()
    (made.path / "manifest.json").unlink()
    with pytest.raises(sets.BackupSetError, match="no manifest"):
        await restore_set(made.path, target, keys_step)


async def test_keep_below_one_and_a_folder_inside_the_data_directory_are_refused(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    with pytest.raises(sets.BackupSetError, match="at least 1"):
        sets.make_backup(settings, tmp_path / "sets", 0, "2026-01-01")
    with pytest.raises(sets.BackupSetError, match="outside the data directory"):
        sets.make_backup(settings, settings.data_dir / "backups", 3, "2026-01-01")
    assert not (settings.data_dir / "backups").exists()


def test_the_command_fails_plainly_without_a_database(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "backup",
            "--data-dir",
            str(tmp_path),
            "--to",
            str(tmp_path / "s"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin"},
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "backup failed, the last good backup is unchanged: no database in" in done.stderr
    assert not (tmp_path / "backup-state.json").exists()


async def test_a_set_whose_database_names_a_path_is_refused(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    await submit(services, settings, "kent-police", "with a file", {"a.bin": b"z" * 100})
    made = sets.make_backup(settings, tmp_path / "sets", 5, "2026-01-01")
    [copy] = list((made.path / "files").iterdir())
    with sqlite3.connect(made.path / "tipdrop.sqlite3") as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA ignore_check_constraints=ON")  # a tamperer can drop them too
        conn.execute("UPDATE files SET id = ? WHERE id = ?", ("../../escaped", copy.name))
    target = settings_at(tmp_path / "restored")

    async def keys_step(database: Path) -> object:
        raise AssertionError("must not be reached")

    with pytest.raises(sets.BackupSetError, match="invalid ids"):
        await restore_set(made.path, target, keys_step)
    assert not target.data_dir.exists() and not (tmp_path / "escaped").exists()
