"""Finding D2 (fixed): any one officer could take a full database copy home, alone.

`keys backup-db` is on the door and writes the copy to the officer's standard output: no
shares, no second person, and the copy leaves the server's 0700 folders. It holds every staff
member's password-wrapped private key and their unit key copies, so the officer can guess staff
passwords offline (no throttle, no authenticator: those guard the sign-in, not the wrap) and a
right guess opens that member's unit keys, hence every report sealed to them. The audit trail
(desk links, finding F5 of the last review) comes with it. `keys backup-db` is off the door
now (database copies reach the 0700 backup folder through `backup`): this test passed while
the finding stood (three offline guesses, the third opened alice's unit key) and now asserts
the refusal.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server.store import open_database
from tests.conftest import enrol_member
from tests.deploy.door_process import door, made_by_init, said

ALICE_PASSWORD = "alice's passphrase she also uses at home"


async def test_backup_db_is_not_on_the_door_and_no_copy_comes_out(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)
    db = await open_database(settings.database_path)
    try:
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator",
                           password=ALICE_PASSWORD)
    finally:
        await db.close()

    copied = door(config, "keys", "backup-db")  # as jo.smith through sudo
    assert copied.returncode == 2, said(copied)
    assert "`keys backup-db` is not on the officers' door" in said(copied)
    assert copied.stdout == b""  # no database copy, not one byte of it
    with sqlite3.connect(settings.database_path) as raw:
        entries = [row[0] for row in raw.execute("SELECT detail FROM audit_log WHERE action = 'database_backed_up'")]
    assert entries == [], entries
