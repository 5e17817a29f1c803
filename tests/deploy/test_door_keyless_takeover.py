"""Finding D1 (fixed): one officer alone could take over any call handler's or security member's account.

`keys reset-totp` was on the door with no custodian shares (the lost-password path, which
makes the very same re-key code, needed K). A re-key code for a role that holds no unit key
(call_handler, security) is redeemed into the account AT ONCE, with no approver, so the
officer redeemed it with a password of their own and signed in as that call handler while
the real one was locked out. The same held for a NEW keyless account: `add-investigator
--role call_handler` made a code that became an account at redemption, approved by nobody.

Both now need K custodian shares. The first test passed as "attack succeeds" before the
fix (the officer's password opened carol's account, hers no longer did) and fails on that
code now; it asserts that no code is made and carol's own password still opens her key.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from dropbox_server.custody import keyring
from dropbox_server.store import open_database
from dropbox_server.store import staff as staff_store
from tests.conftest import custodian_shares_of, invite_and_redeem
from tests.deploy.door_process import door, made_by_init, said

HER_PASSWORD = "correct horse battery staple carol"
NO_SHARES = "needs the custodian shares; none was given, nothing was changed"


def _requests(database: Path) -> int:
    with sqlite3.connect(database) as raw:
        return int(raw.execute("SELECT count(*) FROM pending_enrolments").fetchone()[0])


async def test_reset_totp_alone_makes_no_code_for_a_call_handler(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)
    db = await open_database(settings.database_path)
    try:
        await invite_and_redeem(db, username="carol", unit_id="kent-police", role="call_handler",
                                password=HER_PASSWORD)
    finally:
        await db.close()
    before = _requests(settings.database_path)

    lost = door(config, "keys", "reset-password", "--username", "carol", "--old-password-lost", "--yes")
    assert lost.returncode == 1 and NO_SHARES in said(lost), said(lost)
    alone = door(config, "keys", "reset-totp", "--username", "carol", "--yes")
    assert alone.returncode == 1 and NO_SHARES in said(alone), said(alone)
    assert "Re-key code" not in said(alone)
    assert _requests(settings.database_path) == before

    db = await open_database(settings.database_path)
    try:
        carol = await staff_store.get_staff_by_username(db, "carol")
    finally:
        await db.close()
    assert carol is not None and carol.role == "call_handler"
    keyring.unwrap_staff_key(carol, HER_PASSWORD)  # her account is hers

    # With K share holders present the re-key works through the door as before.
    shares = "".join(s + "\n" for s in custodian_shares_of(settings.data_dir)[:2]).encode()
    made = door(config, "keys", "reset-totp", "--username", "carol", "--yes", stdin=shares)
    assert made.returncode == 0, said(made)
    assert re.search(r"Re-key code for carol, shown only now:\n\s+(\S+)", made.stdout.decode())


async def test_a_keyless_account_needs_k_shares_to_be_asked_for(tmp_path: Path) -> None:
    """Who approves a call handler enrolled by code? Nobody at redemption: so K shares here."""
    settings, config = await made_by_init(tmp_path)
    for role in ("call_handler", "security"):
        alone = door(config, "keys", "add-investigator", "--unit", "kent-police", "--username", "mallory",
                     "--role", role)
        assert alone.returncode == 1 and NO_SHARES in said(alone), said(alone)
        assert "Enrolment code" not in said(alone)
    assert _requests(settings.database_path) == 0
    shares = "".join(s + "\n" for s in custodian_shares_of(settings.data_dir)[:2]).encode()
    made = door(config, "keys", "add-investigator", "--unit", "kent-police", "--username", "carol",
                "--role", "call_handler", stdin=shares)
    assert made.returncode == 0, said(made)
    assert "Enrolment code for carol (call_handler, kent-police)" in said(made)
    investigator = door(config, "keys", "add-investigator", "--unit", "kent-police", "--username", "alice")
    assert investigator.returncode == 0, said(investigator)  # a key holder still waits for an approver
