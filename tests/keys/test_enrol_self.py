"""The newcomer makes their own key (insider review K4, K5): regression tests.

K4 and K5 began as attacks that succeeded on the code before this change (a security officer
held every newcomer's password and authenticator; a row planted in the database was offered
for approval). Each is now asserted to fail.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import date, timedelta

import pytest

from dropbox_server import envelope, totp
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import enrolment, keyring, redemption
from dropbox_server.health import database_checks
from dropbox_server.kdf import KdfRunner
from dropbox_server.reports import casework
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import Database
from dropbox_server.store import audit as audit_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from tests.conftest import CHEAP_KDF, enrol_member, init_test_data_dir, invite_and_redeem, unlock_custodian

SECRET = "INSIDERMARKER the sergeant sold the witness list"
ALICE_PASSWORD = "pw-alice-long"
DAN_PASSWORD = "quarry-lichen-tambourine-osprey-velcro"


async def _report(services_db: Database, receipts: object) -> str:
    content = ReportContent(force="kent-police", conduct="corruption", what_happened=SECRET)
    receipt = await submit_report(services_db, receipts, content, None, "online", today())  # type: ignore[arg-type]
    access = await open_with_receipt(services_db, receipts, receipt)  # type: ignore[arg-type]
    assert access is not None
    return access.report_id


def _choice(password: str, secret: str | None = None) -> redemption.Choice:
    secret = secret or totp.new_secret()
    return redemption.Choice(password, password, secret, totp.code_at_step(secret, totp.current_step(time.time())))


async def _redeem(db: Database, code: str, choice: redemption.Choice) -> redemption.Redeemed:
    runner = KdfRunner(1, 2)
    try:
        return await redemption.redeem(db, runner, code, choice, CHEAP_KDF, now=time.time(), day=today())
    finally:
        runner.close()


async def _alice(db: Database) -> keyring.UnlockedStaff:
    await enrol_member(db, username="alice", unit_id="kent-police", role="investigator", password=ALICE_PASSWORD)
    row = await staff_store.get_staff_by_username(db, "alice")
    assert row is not None
    return await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, ALICE_PASSWORD))


async def test_K4_the_security_officer_never_holds_the_newcomers_key(services) -> None:  # type: ignore[no-untyped-def]
    """Everything the officer sees is the enrolment code: with it and a database copy they
    cannot unwrap the newcomer's key, read their authenticator or open a report."""
    db = services.db
    alice = await _alice(db)
    invited = await enrolment.invite(
        db, username="dan.new", unit_id="kent-police", role="investigator", requested_by="officer", day=today()
    )
    officer_saw = {invited.code, invited.username, invited.expires_day}
    dan_secret = totp.new_secret()
    done = await _redeem(db, invited.code, _choice(DAN_PASSWORD, dan_secret))
    await enrolment.approve(db, alice, "dan.new", done.fingerprint, today())
    dan = await staff_store.get_staff_by_username(db, "dan.new")
    assert dan is not None
    for guess in officer_saw | {invited.code.replace("-", "")}:
        with pytest.raises(envelope.WrongPassword):
            keyring.unwrap_staff_key(dan, guess)
    assert DAN_PASSWORD not in officer_saw and dan_secret not in officer_saw
    # Dan alone opens Kent's reports, with the password nobody else saw.
    keys = (await keyring.unlock_staff(db, dan, keyring.unwrap_staff_key(dan, DAN_PASSWORD))).unit_keys
    report = await report_store.get_report(db, await _report(db, services.receipts))
    assert report is not None
    assert (await casework.open_report(db, report, keys)).content is not None


async def test_the_code_is_stored_only_as_a_hash_and_spent_once(settings: Settings, services) -> None:  # type: ignore[no-untyped-def]
    db = services.db
    invited = await enrolment.invite(
        db, username="erin", unit_id="kent-police", role="investigator", requested_by="officer", day=today()
    )
    assert len(invited.code.replace("-", "")) == 24  # 120 bits of base32
    with sqlite3.connect(settings.database_path) as raw:
        stored = b"".join(bytes(c) if isinstance(c, bytes) else str(c).encode() for c in
                          raw.execute("SELECT * FROM pending_enrolments").fetchone())
    assert invited.code.replace("-", "").encode() not in stored and invited.code.encode() not in stored
    # Typed with spaces and in lower case it still works; a second redemption does not.
    typed = invited.code.replace("-", " ").lower()
    await _redeem(db, typed, _choice(DAN_PASSWORD))
    with pytest.raises(redemption.RedemptionRefused) as refused:
        await _redeem(db, invited.code, _choice(DAN_PASSWORD))
    assert refused.value.reason == "bad_code"


async def test_an_expired_code_or_a_weak_password_is_refused(services) -> None:  # type: ignore[no-untyped-def]
    db = services.db
    old_day = (date.fromisoformat(today()) - timedelta(days=enrolment.CODE_DAYS + 1)).isoformat()
    old = await enrolment.invite(
        db, username="old", unit_id="kent-police", role="investigator", requested_by="officer", day=old_day
    )
    assert await redemption.open_code(db, old.code, today()) is None
    fresh = await enrolment.invite(
        db, username="fresh", unit_id="kent-police", role="investigator", requested_by="officer", day=today()
    )
    for choice, reason in (
        (_choice("password123"), "weak"),
        (redemption.Choice(DAN_PASSWORD, DAN_PASSWORD + "x", totp.new_secret(), "000000"), "mismatch"),
        (redemption.Choice(DAN_PASSWORD, DAN_PASSWORD, totp.new_secret(), "not a code"), "wrong_code"),
    ):
        with pytest.raises(redemption.RedemptionRefused) as refused:
            await _redeem(db, fresh.code, choice)
        assert refused.value.reason == reason
    assert await redemption.open_code(db, fresh.code, today()) is not None, "a refusal does not spend the code"


async def test_a_wrong_fingerprint_is_refused_and_audited(services) -> None:  # type: ignore[no-untyped-def]
    db = services.db
    alice = await _alice(db)
    invited = await enrolment.invite(
        db, username="dan.new", unit_id="kent-police", role="investigator", requested_by="officer", day=today()
    )
    done = await _redeem(db, invited.code, _choice(DAN_PASSWORD))
    wrong = envelope.fingerprint(envelope.generate_keypair().public)
    with pytest.raises(enrolment.EnrolmentRefused) as refused:
        await enrolment.approve(db, alice, "dan.new", wrong, today())
    assert refused.value.reason == "wrong_fingerprint"
    assert await staff_store.get_staff_by_username(db, "dan.new") is None
    last = (await audit_store.entries(db))[-1]
    assert (last.entry.action, last.entry.username) == ("enrolment_approval_refused", "alice")
    assert "wrong_fingerprint" in last.entry.detail
    # Read out with dashes and in lower case, the right one approves.
    await enrolment.approve(db, alice, "dan.new", done.fingerprint.lower().replace(" ", "-"), today())
    assert await staff_store.get_staff_by_username(db, "dan.new") is not None


async def test_the_first_key_holder_is_approved_with_the_custodian_and_their_own_key(services) -> None:  # type: ignore[no-untyped-def]
    db = services.db
    invited = await enrolment.invite(
        db, username="first", unit_id="kent-police", role="investigator", requested_by="officer", day=today()
    )
    done = await _redeem(db, invited.code, _choice(DAN_PASSWORD))
    assert done.needs_approval and done.first_key_holder
    custodian = await unlock_custodian(db)
    with pytest.raises(enrolment.EnrolmentRefused):
        await enrolment.approve_first(db, custodian, "first", "0000 0000 0000 0000", today(), approved_by="officer")
    await enrolment.approve_first(db, custodian, "first", done.fingerprint, today(), approved_by="officer")
    row = await staff_store.get_staff_by_username(db, "first")
    assert row is not None
    assert (await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, DAN_PASSWORD))).unit_keys


async def test_K5_a_pending_enrolment_planted_in_the_database_cannot_be_approved(
    settings: Settings, services  # type: ignore[no-untyped-def]
) -> None:
    """A row written straight into the database (no MAC under the outside seed, no audit entry
    of its own) is shown as tampered and refused, even with the right fingerprint."""
    db = services.db
    alice = await _alice(db)
    evil = envelope.generate_keypair()
    wrapped = envelope.wrap_with_password("x-pw-not-needed-really", evil.private, CHEAP_KDF, keyring.STAFF_KEY_PURPOSE)
    with sqlite3.connect(settings.database_path) as raw:
        seq = raw.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        raw.execute(
            "INSERT INTO pending_enrolments (username, unit_id, role, code_hash, requested_by, requested_day, "
            "expires_day, audit_seq, request_mac, public_key, wrapped_private_key, totp_secret_sealed, "
            "redeemed_day, key_mac) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            ("dan.new", "kent-police", "investigator", b"\x01" * 32, "officer", today(), today(), seq,
             b"\x00" * 32, evil.public, wrapped, envelope.seal(evil.public, b"JBSWY3DPEHPK3PXP"), today(),
             b"\x00" * 32),
        )
    shown = await enrolment.waiting(db, alice.staff, today())
    assert [(v.username, v.tampered) for v in shown] == [("dan.new", True)]
    with pytest.raises(enrolment.EnrolmentRefused) as refused:
        await enrolment.approve(db, alice, "dan.new", envelope.fingerprint(evil.public), today())
    assert refused.value.reason == "tampered"
    assert await staff_store.get_staff_by_username(db, "dan.new") is None


async def test_K5_swapping_the_key_or_the_mac_of_a_real_request_is_caught(
    settings: Settings, services  # type: ignore[no-untyped-def]
) -> None:
    db = services.db
    alice = await _alice(db)
    for name in ("dan.new", "eve.new"):
        invited = await enrolment.invite(
            db, username=name, unit_id="kent-police", role="investigator", requested_by="officer", day=today()
        )
        await _redeem(db, invited.code, _choice(DAN_PASSWORD))
    evil = envelope.generate_keypair()
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE pending_enrolments SET public_key = ? WHERE username = 'dan.new'", (evil.public,))
        # eve's row takes dan's MACs and audit entry: bound to dan's request, they do not fit.
        raw.execute(
            "UPDATE pending_enrolments SET (request_mac, key_mac, audit_seq) = "
            "(SELECT request_mac, key_mac, audit_seq FROM pending_enrolments WHERE username = 'dan.new') "
            "WHERE username = 'eve.new'"
        )
    shown = {v.username: v.tampered for v in await enrolment.waiting(db, alice.staff, today())}
    assert shown == {"dan.new": True, "eve.new": True}
    with pytest.raises(enrolment.EnrolmentRefused) as refused:
        await enrolment.approve(db, alice, "dan.new", envelope.fingerprint(evil.public), today())
    assert refused.value.reason == "tampered"


@pytest.mark.parametrize("role", ["call_handler", "security"])
async def test_F9_a_member_enrolled_by_code_without_unit_keys_is_certified(settings: Settings, role: str) -> None:
    """Regression (insider finding F9): call handlers and security staff enrolled by code got no
    certificate, so the certificates health check was permanently red (a false alarm to hide
    behind). They are certified at redemption like an approved member."""
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await invite_and_redeem(services.db, username="cal", unit_id="kent-police", role=role,
                                password="cal password meadow lantern quill")
    check = {c.name: c for c in database_checks(settings, today())}["certificates"]
    assert check.ok and not check.facts["failed_keys"]
