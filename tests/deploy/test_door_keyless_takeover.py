"""Finding D1: one officer alone takes over any call handler's or security member's account.

`keys reset-totp` is on the door and needs no custodian shares (the lost-password path, which
makes the very same re-key code, needs K). A re-key code for a role that holds no unit key
(call_handler, security) is redeemed into the account AT ONCE: no approver, no fingerprint.
The officer can reach the staff site (`keys add-onion-client`, also on the door, no shares),
redeems the code with a password and authenticator of their own, and from then on signs in as
that call handler (who opens callers' receipts) while the real one is locked out.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from dropbox_server import envelope, totp
from dropbox_server.clock import today
from dropbox_server.custody import keyring, redemption
from dropbox_server.kdf import KdfRunner
from dropbox_server.store import open_database
from dropbox_server.store import staff as staff_store
from tests.conftest import CHEAP_KDF, invite_and_redeem
from tests.deploy.door_process import door, made_by_init, said

HER_PASSWORD = "correct horse battery staple carol"
OFFICER_PASSWORD = "the officer's own long passphrase 4711"


async def test_attack_succeeds_reset_totp_gives_one_officer_a_call_handlers_account(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)
    db = await open_database(settings.database_path)
    try:
        await invite_and_redeem(db, username="carol", unit_id="kent-police", role="call_handler",
                                password=HER_PASSWORD)
    finally:
        await db.close()

    # The lost-password path asks for K shares; the officer has none: refused, nothing made.
    lost = door(config, "keys", "reset-password", "--username", "carol", "--old-password-lost", "--yes")
    assert lost.returncode != 0, said(lost)
    # The lost-authenticator path makes the same re-key code with no shares at all.
    made = door(config, "keys", "reset-totp", "--username", "carol", "--yes")
    assert made.returncode == 0, said(made)
    code = re.search(r"Re-key code for carol, shown only now:\n\s+(\S+)", made.stdout.decode())
    assert code is not None, said(made)

    # The officer redeems it (the staff site's 'Enrol with a code' does exactly this call).
    secret = totp.new_secret()
    now = time.time()
    choice = redemption.Choice(OFFICER_PASSWORD, OFFICER_PASSWORD, secret,
                               totp.code_at_step(secret, totp.current_step(now)))
    db = await open_database(settings.database_path)
    runner = KdfRunner(1, 4)
    try:
        done = await redemption.redeem(db, runner, code.group(1), choice, CHEAP_KDF, now=now, day=today())
        carol = await staff_store.get_staff_by_username(db, "carol")
    finally:
        runner.close()
        await db.close()
    assert carol is not None and carol.role == "call_handler"
    # ATTACK SUCCEEDS: no approver was needed, and carol's account now opens with the
    # officer's password (and authenticator); hers no longer does.
    assert done.rekey and not done.needs_approval
    keyring.unwrap_staff_key(carol, OFFICER_PASSWORD)
    try:
        keyring.unwrap_staff_key(carol, HER_PASSWORD)
    except envelope.WrongPassword:
        pass
    else:
        raise AssertionError("carol's own password still opens her account")
