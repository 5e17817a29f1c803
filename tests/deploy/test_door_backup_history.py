"""Finding D4 (fixed): one officer alone could delete every backup set but one (`backup --keep 1`).

`backup` was on the door with `--keep`: the door wrote a new set into the configured folder
and then removed all but the newest `--keep`. `--keep` is no longer on the door; the default
keep (the nightly timer's 14) applies to a set made there. This test passed while the
finding stood (only the new set was left); it now asserts the refusal and the history kept.
"""

from __future__ import annotations

from pathlib import Path

from dropbox_server.backups.sets import existing_sets
from tests.deploy.door_process import door, made_by_init, said


async def test_backup_keep_is_not_on_the_door_and_the_history_stays(tmp_path: Path) -> None:
    sets = tmp_path / "sets"
    _, config = await made_by_init(tmp_path, backup_dir=sets)
    for _ in range(3):  # stands in for the nightly timer's sets of earlier days
        made = door(config, "backup")
        assert made.returncode == 0, said(made)
    assert len(existing_sets(sets)) == 3
    wiped = door(config, "backup", "--keep", "1")
    assert wiped.returncode == 2, said(wiped)
    assert "unrecognized arguments: --keep" in said(wiped)
    assert len(existing_sets(sets)) == 3
