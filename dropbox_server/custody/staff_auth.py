"""Staff accounts: sign-in (password + code), replacing an authenticator, changing a password.

Enrolment is custody/enrolment.py (security staff ask) and custody/redemption.py (the
newcomer makes their own key).

Security: the password unwraps the staff private key (argon2id, in the KDF pool); only that
key opens the sealed TOTP secret, so a stolen database alone yields neither. Every refusal
looks the same to the person signing in, and an unknown username costs the same argon2id
run as a known one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from dropbox_server import audit, envelope, passwords, totp
from dropbox_server.custody import certify, keyring
from dropbox_server.kdf import KdfBusy, KdfRunner
from dropbox_server.store import Database, StaffRow
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store
from dropbox_server.throttle import KeyedBuckets, TokenBucket
from receipt_codes import KdfParams

MAX_USERNAME = 64
MAX_PASSWORD = 1024


@dataclass(frozen=True)
class SignInResult:
    """The unlocked keys on success; otherwise a reason for the audit log, never for the page."""

    unlocked: keyring.UnlockedStaff | None
    failure: str = ""


class SignInThrottle:
    """Attempts per account and in total, so guessing is slow for one account and for all.

    Every attempt takes a token from both buckets. Real staff sign in a few times a day, so
    in practice the limits bite on repeated failures only.

    Security: the global bucket is taken first, so attempts refused overall (a flood) spend
    nobody's own allowance; it also bounds how fast new usernames can fill the per-account table.
    """

    def __init__(self, per_account: KeyedBuckets, overall: TokenBucket):
        self._per_account = per_account
        self._overall = overall

    def try_attempt(self, username: str) -> bool:
        # Names longer than any account's share one bucket, so keys stay small.
        return self._overall.try_take() and self._per_account.try_take(
            username[: MAX_USERNAME + 1].casefold()
        )

    def retry_after(self) -> int:
        return self._overall.seconds_until_token()


@dataclass
class Decoy:
    """The password-wrapped key unknown usernames are checked against (made at start-up)."""

    wrapped: bytes = b""


def make_decoy(kdf: KdfParams) -> bytes:
    """A password-wrapped key nobody can open: unknown usernames are checked against it.

    Slow (one argon2id run): call it in the KDF pool.
    """
    return envelope.wrap_with_password(
        secrets.token_urlsafe(32), envelope.random_key(), kdf, keyring.STAFF_KEY_PURPOSE
    )


def _decoy_row(decoy: bytes) -> StaffRow:
    return StaffRow(0, "", "", "", b"", decoy, None, "", None)


async def _check_password(
    runner: KdfRunner, staff: StaffRow | None, decoy: bytes, password: str
) -> bytes | None:
    """The private key if the password is right; one argon2id run whether or not `staff` exists."""
    target = staff if staff is not None else _decoy_row(decoy)
    try:
        private = await runner.run(keyring.unwrap_staff_key, target, password)
    except envelope.EnvelopeError:
        return None
    return private if staff is not None else None


async def sign_in(
    db: Database,
    runner: KdfRunner,
    decoy: bytes,
    credentials: tuple[str, str, str],
    now: float,
    day: str,
    raise_to: KdfParams | None = None,
) -> SignInResult:
    """Check username, password and TOTP code; unlock the unit keys; log the attempt.

    With `raise_to`, a key wrapped at a lower argon2id cost is re-wrapped at that cost
    after a successful sign-in (the only moment the password is known), so keys made
    before the costs went up do not stay cheaper to guess offline.
    Raises KdfBusy when the pool is full (the caller answers 429, nothing is logged).
    """
    username, password, code = credentials
    staff = None
    if 0 < len(username) <= MAX_USERNAME:
        staff = await staff_store.get_staff_by_username(db, username)
    private = await _check_password(runner, staff, decoy, password[:MAX_PASSWORD])
    failure = _first_failure(staff, private)
    if staff is not None and private is not None and staff.totp_secret_sealed and not failure:
        try:
            failure = await _check_code(db, staff, private, code, now, day)
        except (envelope.EnvelopeError, UnicodeDecodeError):
            # Security: whatever the code check meets, the attempt is logged and refused
            # like every other failure; an error page would tell a right password apart.
            failure = "authenticator_unreadable"
    if failure or staff is None or private is None:
        logged_name = staff.username if staff is not None else audit.UNKNOWN_USERNAME
        await audit.record(
            db, audit.pending("sign_in_failed", staff=staff, username=logged_name, detail=failure)
        )
        return SignInResult(None, failure)
    unlocked = await keyring.unlock_staff(db, staff, private)
    await audit.record(db, audit.pending("sign_in", staff=staff))
    if raise_to is not None and _cheaper(envelope.wrap_cost(staff.wrapped_private_key), raise_to):
        try:
            wrapped = await runner.run(
                envelope.wrap_with_password,
                password[:MAX_PASSWORD],
                private,
                raise_to,
                keyring.STAFF_KEY_PURPOSE,
            )
        except KdfBusy:
            return SignInResult(unlocked)  # busy now: the next sign-in raises it
        entry = audit.pending("password_reset", staff=staff, detail="wrap_cost_raised")
        await key_store.rewrap_staff_key(db, staff.id, wrapped, entry)
    return SignInResult(unlocked)


def _cheaper(have: KdfParams, want: KdfParams) -> bool:
    return have.memory_kib < want.memory_kib or have.time_cost < want.time_cost


def _first_failure(staff: StaffRow | None, private: bytes | None) -> str:
    if staff is None:
        return "unknown_user"
    if private is None:
        return "wrong_password"
    if staff.totp_secret_sealed is None:
        return "no_authenticator"
    return ""


async def _check_code(db: Database, staff: StaffRow, private: bytes, code: str, now: float, day: str) -> str:
    """'' when the code is right and unspent (and is now spent); else the failure reason."""
    secret = envelope.unseal(private, staff.totp_secret_sealed or b"").decode("ascii")
    last = await staff_store.last_totp_step(db, staff.id)
    step = totp.accept(secret, code, now, last)
    if step is None:
        return "reused_code" if totp.accept(secret, code, now, None) is not None else "wrong_code"
    if not await staff_store.claim_totp_step(db, staff.id, step, day):
        return "reused_code"
    return ""


@dataclass(frozen=True, repr=False)
class AuthenticatorChange:
    """What replacing an authenticator needs: who asks, their proof, and the new secret's code."""

    staff_id: int
    password: str
    current_code: str
    new_secret: str
    new_code: str


async def replace_authenticator(
    db: Database, runner: KdfRunner, change: AuthenticatorChange, now: float, day: str
) -> str:
    """Make `new_secret` the account's TOTP secret; '' on success, else the (logged) reason.

    Security: a live session alone is not enough (a stolen cookie must not turn into a
    lasting second factor): the password (one argon2id run, in the KDF pool) and a code
    from the current authenticator are checked first, and that code is spent. The new
    secret is sealed to the staff public key, and a code from it proves it was set up.
    Raises KdfBusy when the pool is full (the caller answers 429, nothing is logged).
    """
    staff = await staff_store.get_staff(db, change.staff_id)
    if staff is None:
        return "unknown_user"
    failure = await _check_proof(db, runner, staff, change, now, day)
    step = None if failure else totp.accept(change.new_secret, change.new_code, now, None)
    if failure or step is None:
        failure = failure or "wrong_new_code"
        await audit.record(db, audit.pending("authenticator_replace_failed", staff=staff, detail=failure))
        return failure
    last = await staff_store.last_totp_step(db, staff.id)
    await staff_store.replace_totp_secret(
        db,
        staff.id,
        envelope.seal(await certify.staff_public(db, staff), change.new_secret.encode("ascii")),
        max(step, last or 0),
        audit.pending("authenticator_replaced", staff=staff),
    )
    return ""


async def _check_proof(
    db: Database, runner: KdfRunner, staff: StaffRow, change: AuthenticatorChange, now: float, day: str
) -> str:
    """'' when the password and a code from the current authenticator are right (the code is spent)."""
    return await confirm_identity(db, runner, staff, (change.password, change.current_code), now, day)


async def confirm_identity(
    db: Database, runner: KdfRunner, staff: StaffRow, proof: tuple[str, str], now: float, day: str
) -> str:
    """'' when (password, TOTP code) are right and the code unspent (it is then spent); else why not.

    For actions a live session alone must not do (a stolen cookie): replacing the
    authenticator, approving a new key holder. Raises KdfBusy when the pool is full.
    """
    password, code = proof
    try:
        private = await runner.run(keyring.unwrap_staff_key, staff, password[:MAX_PASSWORD])
    except envelope.EnvelopeError:
        return "wrong_password"
    if staff.totp_secret_sealed is None:
        return ""  # older account, authenticator removed: the password is the proof left
    try:
        return await _check_code(db, staff, private, code, now, day)
    except (envelope.EnvelopeError, UnicodeDecodeError):
        return "authenticator_unreadable"


@dataclass(frozen=True, repr=False)
class PasswordChange:
    """A signed-in member changing their own password: the current one and the new one, twice."""

    staff_id: int
    current: str
    new: str
    again: str


async def change_own_password(
    db: Database, runner: KdfRunner, change: PasswordChange, kdf: KdfParams
) -> str:
    """Re-wrap the member's key under a new password; '' on success, else the (logged) reason.

    Security: the new password must score 4 with zxcvbn (the key it wraps opens the unit's
    reports to anyone who guesses it from a database copy); the current password is checked
    in the KDF pool, and the new wrap is made at the current cost. Raises KdfBusy.
    """
    staff = await staff_store.get_staff(db, change.staff_id)
    if staff is None:
        return "unknown_user"
    if change.new != change.again:
        return "mismatch"
    if passwords.weakness(change.new, (staff.username,)) is not None:
        return "weak"
    try:
        private = await runner.run(keyring.unwrap_staff_key, staff, change.current[:MAX_PASSWORD])
    except envelope.EnvelopeError:
        await audit.record(db, audit.pending("password_change_failed", staff=staff, detail="wrong_password"))
        return "wrong_password"
    wrapped = await runner.run(
        envelope.wrap_with_password, change.new, private, kdf, keyring.STAFF_KEY_PURPOSE
    )
    entry = audit.pending("password_reset", staff=staff, detail="own")
    await key_store.rewrap_staff_key(db, staff.id, wrapped, entry)
    return ""
