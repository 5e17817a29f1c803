"""Finding D4 (fixed): one officer alone could delete every backup set but one (`backup --keep 1`).

`backup` was on the door with `--keep`: the door wrote a new set into the configured folder
and then removed all but the newest `--keep`. `--keep` is no longer on the door; the default
keep (the nightly timer's 14) applies to a set made there, and it counts days, not sets, so
fourteen backups in one afternoon do not push the earlier days out either. The first test
passed as "attack succeeds" while the finding stood (only the new set was left); the second
fails with rotation by sets (seen). Both are regression tests.
"""

from __future__ import annotations

from pathlib import Path

from dropbox_server.backups.sets import existing_sets
from tests.deploy.door_process import door, made_by_init, said


def _nightly_sets(config: Path, sets: Path) -> list[str]:
    """Three sets made through the door, renamed to earlier days: the nightly timer's history."""
    days = ["2026-11-01", "2026-11-02", "2026-11-03"]
    for day in days:
        made = door(config, "backup")
        assert made.returncode == 0, said(made)
        [new] = [p for p in existing_sets(sets) if not p.name.startswith("tipdrop-2026-11")]
        new.rename(sets / f"tipdrop-{day}")
    return [f"tipdrop-{day}" for day in days]


async def test_backup_keep_is_not_on_the_door_and_the_history_stays(tmp_path: Path) -> None:
    sets = tmp_path / "sets"
    _, config = await made_by_init(tmp_path, backup_dir=sets)
    history = _nightly_sets(config, sets)
    wiped = door(config, "backup", "--keep", "1")
    assert wiped.returncode == 2, said(wiped)
    assert "unrecognized arguments: --keep" in said(wiped)
    assert [p.name for p in existing_sets(sets)] == history


async def test_many_backups_in_one_day_leave_the_earlier_days_sets(tmp_path: Path) -> None:
    """Without `--keep`, the default keep (14) still counted sets: 14 backups through the door in
    one afternoon pushed every earlier day's set out. Rotation now keeps days, not sets."""
    sets = tmp_path / "sets"
    _, config = await made_by_init(tmp_path, backup_dir=sets)
    history = _nightly_sets(config, sets)
    for _ in range(14):
        made = door(config, "backup")
        assert made.returncode == 0, said(made)
    kept = [p.name for p in existing_sets(sets)]
    assert kept[:3] == history, kept
    assert len(kept) == 5, kept  # and of today, its first set and its newest
