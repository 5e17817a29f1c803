"""Finding D2: any one officer takes a full database copy home, alone, whenever they like.

`keys backup-db` is on the door and writes the copy to the officer's standard output: no
shares, no second person, and the copy leaves the server's 0700 folders. It holds every staff
member's password-wrapped private key and their unit key copies, so the officer can guess staff
passwords offline (no throttle, no authenticator: those guard the sign-in, not the wrap) and a
right guess opens that member's unit keys, hence every report sealed to them. The audit trail
(desk links, finding F5 of the last review) comes with it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.custody import keyring
from dropbox_server.store import open_database
from dropbox_server.store import staff as staff_store
from tests.deploy.door_process import OFFICER, door, made_by_init, said
from tests.conftest import enrol_member

ALICE_PASSWORD = "alice's passphrase she also uses at home"


async def test_attack_succeeds_one_officer_copies_the_database_and_guesses_offline(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)
    db = await open_database(settings.database_path)
    try:
        await enrol_member(db, username="alice", unit_id="kent-police", role="investigator",
                           password=ALICE_PASSWORD)
    finally:
        await db.close()

    copied = door(config, "keys", "backup-db")  # as jo.smith through sudo; nothing else asked
    assert copied.returncode == 0, said(copied)
    home = tmp_path / "officers-laptop.sqlite3"  # wherever the officer redirected it
    home.write_bytes(copied.stdout)

    copy = await open_database(home)
    try:
        alice = await staff_store.get_staff_by_username(copy, "alice")
        assert alice is not None
        tried = 0
        for guess in ("password1", "kent-police-2026", ALICE_PASSWORD):  # the officer's list
            tried += 1
            try:
                private = keyring.unwrap_staff_key(alice, guess)
            except envelope.WrongPassword:
                continue
            unlocked = await keyring.unlock_staff(copy, alice, private)
            break
        else:
            raise AssertionError("no guess opened the copy")
    finally:
        await copy.close()
    # ATTACK SUCCEEDS: the copy answered every guess, offline, and the right one opened
    # alice's unit key(s); the only trace is one audit entry naming the officer.
    assert tried == 3 and unlocked.unit_keys
    with sqlite3.connect(settings.database_path) as raw:
        entries = [row[0] for row in raw.execute("SELECT detail FROM audit_log WHERE action = 'database_backed_up'")]
    assert entries == [f"by={OFFICER}"], entries
