"""A lost password or authenticator goes through the enrolment code flow (insider finding K4),
and the authenticator code typed at redemption is spent.

Before this change `keys reset-password --old-password-lost` had the security officer type the
member's new password and `keys reset-totp` showed them the new authenticator secret, so the
officer held the member's key afterwards. Now the officer makes only a re-key code; the member
makes a new key pair by redeeming it; a second person approves it by typing its fingerprint.
"""

from __future__ import annotations

import time

import pytest

from dropbox_server import envelope, totp
from dropbox_server.clock import today
from dropbox_server.custody import enrolment, keyring, redemption, staff_auth
from dropbox_server.kdf import KdfRunner
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import staff as staff_store
from dropbox_server.web.appkeys import Services
from tests.conftest import CHEAP_KDF, custodian_shares_of, unlock_custodian
from tests.enrol_flow import enrolment_code, redeem_now
from tests.keys.test_rotation_revocation import enrol, new_report, readable, unlock
from tests.keys.test_staff_changes import cli

NEW_PASSWORD = "granite-owl-meadow-cobalt-lantern"


async def _redeem(services: Services, code: str, password: str, secret: str, now: float) -> redemption.Redeemed:
    runner = KdfRunner(1, 2)
    try:
        choice = redemption.Choice(password, password, secret, totp.code_at_step(secret, totp.current_step(now)))
        return await redemption.redeem(services.db, runner, code, choice, CHEAP_KDF, now=now, day=today())
    finally:
        runner.close()


async def test_K4_lost_password_the_officer_cannot_unwrap_the_members_new_key(services: Services) -> None:
    """With only what the officer typed (K shares) and saw (the command's output), the
    member's new key cannot be unwrapped; the member's own password opens it and the unit's
    reports; the old key no longer works; the other members are told.

    On the code before this change the command asked the officer for the new password and
    printed the new authenticator secret (this test fails there: the shares alone are refused
    as too little input, and the old command's password is the key's password)."""
    data_dir = services.db.path.parent
    await enrol(services, "alice")
    await enrol(services, "bob")
    report = await new_report(services, "readable after the re-key")
    old = await staff_store.get_staff_by_username(services.db, "alice")
    assert old is not None
    typed = "".join(s + "\n" for s in custodian_shares_of(data_dir)[:2])
    made = cli(data_dir, "reset-password", "--username", "alice", "--old-password-lost", "--yes", stdin=typed)
    assert made.returncode == 0, made.stderr
    code = enrolment_code(made.stdout)
    done, secret = redeem_now(data_dir, code, NEW_PASSWORD)
    assert done.needs_approval and not done.first_key_holder
    bob = await unlock(services.db, "bob")
    shown = await enrolment.waiting(services.db, bob.staff, today())
    assert [(v.username, v.rekey, v.tampered) for v in shown] == [("alice", True, False)]
    await enrolment.approve(services.db, bob, "alice", done.fingerprint, today())
    alice = await staff_store.get_staff_by_username(services.db, "alice")
    assert alice is not None and alice.id == old.id and alice.public_key != old.public_key
    officer = typed + made.stdout + made.stderr
    assert secret not in officer and NEW_PASSWORD not in officer
    for guess in {*officer.split(), *officer.splitlines(), code, code.replace("-", "")}:
        with pytest.raises(envelope.WrongPassword):
            keyring.unwrap_staff_key(alice, guess)
    private = keyring.unwrap_staff_key(alice, NEW_PASSWORD)
    unlocked = await keyring.unlock_staff(services.db, alice, private)
    assert unlocked.unit_keys and await readable(services, report, unlocked.unit_keys)
    assert envelope.unseal(private, alice.totp_secret_sealed or b"").decode() == secret
    with pytest.raises(envelope.WrongPassword):
        keyring.unwrap_staff_key(alice, "pw-alice-long-enough")  # the old key is gone
    notices = await enrolment.open_notices(services.db, bob.staff)
    assert [(n.key_holder, n.approved_by) for n in notices] == [("alice", "bob")]
    assert all(n.key_holder != "alice" for n in await enrolment.open_notices(services.db, alice))


async def test_reset_totp_makes_a_code_and_shows_no_secret(services: Services) -> None:
    data_dir = services.db.path.parent
    await enrol(services, "alice")
    typed = "".join(s + "\n" for s in custodian_shares_of(data_dir)[:2])
    alone = cli(data_dir, "reset-totp", "--username", "alice", "--yes")  # insider finding D1
    assert alone.returncode == 1 and "needs the custodian shares" in alone.stderr
    made = cli(data_dir, "reset-totp", "--username", "alice", "--yes", stdin=typed)
    assert made.returncode == 0, made.stderr
    assert "TOTP secret" not in made.stdout and "otpauth" not in made.stdout
    assert enrolment_code(made.stdout)
    again = cli(data_dir, "reset-totp", "--username", "alice", "--yes", stdin=typed)
    assert again.returncode == 1 and "has a request waiting" in again.stderr
    nobody = cli(data_dir, "reset-totp", "--username", "nobody", "--yes", stdin=typed)
    assert nobody.returncode == 1 and "no member of staff" in nobody.stderr
    refused = cli(data_dir, "reset-password", "--username", "alice", "--old-password-lost", "--yes",
                  stdin="not a share at all\n")
    assert refused.returncode == 1 and "not a valid share" in refused.stderr


async def test_the_member_never_approves_their_own_new_key_and_a_sole_member_needs_the_shares(
    services: Services,
) -> None:
    await enrol(services, "alice")
    alice_old = await unlock(services.db, "alice")
    invited = await enrolment.invite_rekey(services.db, username="alice", requested_by="officer", day=today())
    done = await _redeem(services, invited.code, NEW_PASSWORD, totp.new_secret(), time.time())
    assert done.needs_approval and done.first_key_holder, "nobody else holds kent-police's keys"
    assert not enrolment.may_approve(alice_old.staff, (await enrolment_store.pending_by_username(
        services.db, "alice")) or pytest.fail("no request"))
    with pytest.raises(enrolment.EnrolmentRefused, match="not_found"):
        await enrolment.approve(services.db, alice_old, "alice", done.fingerprint, today())
    custodian = await unlock_custodian(services.db)
    with pytest.raises(enrolment.EnrolmentRefused, match="wrong_fingerprint"):
        await enrolment.approve_first(services.db, custodian, "alice", "00" * 16, today(), approved_by="officer")
    staff_id = await enrolment.approve_first(
        services.db, custodian, "alice", done.fingerprint, today(), approved_by="officer"
    )
    assert staff_id == alice_old.staff.id
    alice = await staff_store.get_staff_by_username(services.db, "alice")
    assert alice is not None
    unlocked = await keyring.unlock_staff(services.db, alice, keyring.unwrap_staff_key(alice, NEW_PASSWORD))
    assert set(unlocked.unit_keys) == set(alice_old.unit_keys)


async def test_a_newcomers_request_turned_into_a_rekey_in_the_database_is_refused(services: Services) -> None:
    """A database writer cannot point a newcomer's request at someone else's account."""
    await enrol(services, "alice")
    invited = await enrolment.invite(
        services.db, username="dan.new", unit_id="kent-police", role="investigator",
        requested_by="officer", day=today(),
    )
    alice = await staff_store.get_staff_by_username(services.db, "alice")
    assert alice is not None
    async with services.db.transaction() as tx:
        await tx.execute("UPDATE pending_enrolments SET rekey_staff_id = ?", (alice.id,))
    assert await redemption.open_code(services.db, invited.code, today()) is None


async def test_the_authenticator_code_typed_at_redemption_cannot_sign_in(services: Services) -> None:
    """Fails on the code before this change: the redemption's code was not recorded as spent,
    so the same code signed in again within its 30 seconds."""
    await enrol(services, "alice")
    alice = await unlock(services.db, "alice")
    invited = await enrolment.invite(
        services.db, username="dan.new", unit_id="kent-police", role="investigator",
        requested_by="officer", day=today(),
    )
    secret, now = totp.new_secret(), time.time()
    done = await _redeem(services, invited.code, NEW_PASSWORD, secret, now)
    await enrolment.approve(services.db, alice, "dan.new", done.fingerprint, today())
    code = totp.code_at_step(secret, totp.current_step(now))
    decoy = staff_auth.make_decoy(CHEAP_KDF)
    again = await staff_auth.sign_in(
        services.db, services.staff_kdf, decoy, ("dan.new", NEW_PASSWORD, code), now, today()
    )
    assert again.unlocked is None and again.failure == "reused_code"
    later = now + totp.STEP_SECONDS
    fresh = totp.code_at_step(secret, totp.current_step(later))
    signed_in = await staff_auth.sign_in(
        services.db, services.staff_kdf, decoy, ("dan.new", NEW_PASSWORD, fresh), later, today()
    )
    assert signed_in.unlocked is not None
