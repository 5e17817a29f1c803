"""Finding D4: one officer alone deletes every backup set but one (`backup --keep 1`).

`backup` is on the door with `--keep`, so the door writes a new set into the configured folder
and then removes all but the newest `--keep` sets: the nightly timer's history (the database
as it was on each day, needed to recover from a bad change or to compare after tampering) is
gone in one command, no shares, no second person. The officer cannot read the sets (0700,
the service user's), but needs none of them to destroy them.
"""

from __future__ import annotations

from pathlib import Path

from dropbox_server.backups.sets import existing_sets
from tests.deploy.door_process import door, made_by_init, said


async def test_attack_succeeds_backup_keep_one_wipes_the_history(tmp_path: Path) -> None:
    sets = tmp_path / "sets"
    _, config = await made_by_init(tmp_path, backup_dir=sets)
    for _ in range(3):  # stands in for the nightly timer's sets of earlier days
        made = door(config, "backup")
        assert made.returncode == 0, said(made)
    assert len(existing_sets(sets)) == 3
    wiped = door(config, "backup", "--keep", "1")
    assert wiped.returncode == 0, said(wiped)
    # ATTACK SUCCEEDS: only the set made just now is left.
    assert len(existing_sets(sets)) == 1
