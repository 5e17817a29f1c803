"""The newcomer redeems their enrolment code: their own password, authenticator and key pair.

Security: this runs in the newcomer's own session on the staff site; security staff, who made
the code, never see the password, the authenticator secret or the private key. The key pair
is made here and wrapped under the newcomer's password at the staff wrap cost, in the KDF
pool (the event loop never runs argon2id). The code is spent once, and only an intact request
(this server's MAC, its audit entry) can be redeemed. The authenticator code typed here is
spent too: it is stored as the account's last accepted step, as a sign-in does.

A re-key code (lost password or authenticator, `enrolment.invite_rekey`) is redeemed the same
way by the member it was made for: they get a NEW key pair, which replaces the old one when
approved (at once for a role that holds no unit key).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from dropbox_server import audit, envelope, passwords, totp
from dropbox_server.custody import certify, enrolment, enrolment_seal, keyring
from dropbox_server.kdf import KdfRunner
from dropbox_server.store import Database
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store.enrolments import PendingEnrolment, Redemption
from receipt_codes import KdfParams

MAX_PASSWORD = 1024


@dataclass(frozen=True)
class Redeemed:
    """The outcome: the key's fingerprint (to read to the approver) and whether one is needed."""

    username: str
    fingerprint: str
    needs_approval: bool
    first_key_holder: bool
    rekey: bool = False  # a new key for an existing account (lost password or authenticator)


@dataclass(frozen=True, repr=False)
class Choice:
    """What the newcomer chose: a password (twice), and the authenticator secret with a code from it."""

    password: str
    again: str
    totp_secret: str
    totp_code: str


class RedemptionRefused(Exception):
    """The code cannot be redeemed or the choice is not good enough; `reason` is for the page."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


async def open_code(db: Database, code: str, day: str) -> PendingEnrolment | None:
    """The intact, unredeemed, unexpired request this code belongs to; None for any other code."""
    if db.audit_seed is None or not enrolment_seal.normalise_code(code):
        return None
    pending = await enrolment_store.pending_by_code_hash(db, enrolment_seal.code_hash(db.audit_seed, code))
    if pending is None or pending.redeemed:
        return None
    if date.fromisoformat(day) > date.fromisoformat(pending.expires_day):
        return None
    return pending if await enrolment.intact(db, pending) else None


async def refuse_code(db: Database) -> None:
    """Audit a code that opened nothing (no code or detail recorded: only that it happened)."""
    await audit.record(db, audit.pending("enrolment_code_refused", username=audit.UNKNOWN_USERNAME))


def check_choice(username: str, choice: Choice, now: float) -> str:
    """'' when the password is strong and typed twice alike and the code proves the authenticator."""
    if not envelope.secret_equal(choice.password.encode("utf-8"), choice.again.encode("utf-8")):
        return "mismatch"
    if len(choice.password) > MAX_PASSWORD or passwords.weakness(choice.password, (username,)) is not None:
        return "weak"
    if totp.accept(choice.totp_secret, choice.totp_code, now, None) is None:
        return "wrong_code"
    return ""


async def redeem(
    db: Database, runner: KdfRunner, code: str, choice: Choice, kdf: KdfParams, *, now: float, day: str
) -> Redeemed:
    """Make the newcomer's key pair, wrap it under their password, store it in their request.

    A role that holds no unit key becomes a member at once; a key holder waits for approval.
    Raises RedemptionRefused (the code is spent only on success) and KdfBusy.
    """
    pending = await open_code(db, code, day)
    if pending is None or db.audit_seed is None:
        raise RedemptionRefused("bad_code")
    failure = check_choice(pending.username, choice, now)
    step = totp.accept(choice.totp_secret, choice.totp_code, now, None)
    if failure or step is None:
        raise RedemptionRefused(failure or "wrong_code")
    pair = envelope.generate_keypair()
    wrapped = await runner.run(functools.partial(
        envelope.wrap_with_password, choice.password, pair.private, kdf, keyring.STAFF_KEY_PURPOSE
    ))
    sealed_totp = envelope.seal(pair.public, choice.totp_secret.encode("ascii"))
    unsigned = Redemption(pair.public, wrapped, sealed_totp, day, b"")
    done = Redemption(
        pair.public, wrapped, sealed_totp, day, enrolment_seal.key_mac(db.audit_seed, pending, unsigned),
        totp_step=step,
    )
    fingerprint = envelope.fingerprint(pair.public)
    entry = audit.pending(
        "enrolment_redeemed", username=pending.username, unit_id=pending.unit_id,
        detail=f"role={pending.role} key={fingerprint}" + ("" if pending.rekey_of is None else " rekey"),
    )
    if pending.role not in keyring.ROLES_WITH_UNIT_KEYS:
        try:
            staff_id = await enrolment_store.redeem_into_staff(db, pending, done, entry)
        except LookupError:
            raise RedemptionRefused("bad_code") from None
        # Certified like an approved member (insider finding F9), a re-keyed account's new key
        # in place of its old one: the key this very call made, never read back.
        await certify.certify_staff(db, staff_id, pending.unit_id, pending.role, pair.public)
        return Redeemed(
            pending.username, fingerprint, needs_approval=False, first_key_holder=False,
            rekey=pending.rekey_of is not None,
        )
    if not await enrolment_store.redeem_pending(db, pending, done, entry):
        raise RedemptionRefused("bad_code")
    first = not await enrolment.unit_has_key_holders(db, pending.unit_id, but=pending.rekey_of)
    return Redeemed(
        pending.username, fingerprint, needs_approval=True, first_key_holder=first,
        rekey=pending.rekey_of is not None,
    )
