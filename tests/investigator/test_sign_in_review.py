"""Sign-in hardening found in review: the code-field oracle, throttle order, bounded buckets, 413s."""

from __future__ import annotations

import re

import pytest

from dropbox_server import totp
from dropbox_server.config import ThrottleSettings
from dropbox_server.custody.staff_auth import SignInThrottle
from dropbox_server.store import audit as audit_store
from dropbox_server.throttle import KeyedBuckets, TokenBucket
from tests.investigator.conftest import Workspace, running_workspace
from tests.investigator.driver import FakeClock

_TOKEN = re.compile(r'name="csrf_token" value="[^"]+"')

# Codes that are not six ASCII digits: Arabic-Indic, fullwidth, Devanagari, superscript,
# mixed, short, long, NUL, letters, a sign.
MALFORMED_CODES = [
    "٠١٢٣٤٥",
    "０１２３４５",
    "०१२३४५",
    "¹²³⁴⁵⁶",
    "12345٦",
    "12345",
    "1234567",
    "12345\x00",
    "abcdef",
    "+12345",
]


def _page(text: str) -> str:
    return _TOKEN.sub("", text)


async def _failures(ws: Workspace) -> list[tuple[str, str]]:
    rows = await audit_store.entries(ws.services.db)
    return [(r.entry.username, r.entry.detail) for r in rows if r.entry.action == "sign_in_failed"]


async def test_a_malformed_code_with_the_right_password_is_refused_like_any_failure(
    settings, services, clock: FakeClock  # type: ignore[no-untyped-def]
) -> None:
    generous = ThrottleSettings(staff_sign_in_per_account_burst=100, staff_sign_in_burst=100)
    async with running_workspace(settings.with_changes(throttle=generous), services, clock) as ws:
        alice = await ws.enrol("alice", "kent-police")
        wrong_password = await alice.sign_in_with("alice", "not-the-password", alice.code())
        assert wrong_password[0] == 401
        for code in MALFORMED_CODES:
            with_password = await alice.sign_in_with("alice", alice.password, code)
            without = await alice.sign_in_with("alice", "not-the-password", code)
            assert with_password[0] == without[0] == 401, code
            assert _page(with_password[1]) == _page(without[1]) == _page(wrong_password[1]), code
        failures = await _failures(ws)
        # Every attempt is in the log, with the right password's failures told apart there only.
        assert failures.count(("alice", "wrong_code")) == len(MALFORMED_CODES)
        assert failures.count(("alice", "wrong_password")) == len(MALFORMED_CODES) + 1
        await alice.sign_in()


def test_only_six_ascii_digits_are_a_code() -> None:
    secret = totp.new_secret()
    now = 1_900_000_000.0
    right = totp.code_at_step(secret, totp.current_step(now))
    assert totp.accept(secret, right, now, None) is not None
    assert totp.accept(secret, right[:3] + " " + right[3:], now, None) is not None
    for code in MALFORMED_CODES:
        assert totp.accept(secret, code, now, None) is None
    arabic = right.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert totp.accept(secret, arabic, now, None) is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_global_bucket_is_taken_before_the_account_one() -> None:
    clock = Clock()
    overall = TokenBucket(1.0, 1, clock=clock)
    throttle = SignInThrottle(KeyedBuckets(1 / 60, 3, clock=clock), overall)
    assert throttle.try_attempt("mallory")  # empties the global bucket
    for _ in range(10):  # refused overall: alice's own allowance must not be spent
        assert not throttle.try_attempt("alice")
    for _ in range(3):
        clock.now += 1.0
        assert throttle.try_attempt("alice")
    clock.now += 1.0
    assert not throttle.try_attempt("alice")


def test_a_full_table_never_forgets_a_live_bucket() -> None:
    clock = Clock()
    buckets = KeyedBuckets(1 / 60, 2, max_keys=3, clock=clock)
    assert buckets.try_take("alice") and buckets.try_take("alice")
    assert not buckets.try_take("alice")  # alice is out of attempts
    assert buckets.try_take("u1") and buckets.try_take("u2")
    for n in range(50):  # a spray of new names while every bucket is live
        assert not buckets.try_take(f"spray{n}")
    assert not buckets.try_take("alice"), "alice's empty bucket must not be forgotten"
    assert len(buckets) == 3
    clock.now += 2 * 60  # every bucket has refilled: it is the same as a new one
    assert buckets.try_take("newcomer")
    assert buckets.try_take("alice")
    assert len(buckets) <= 3


@pytest.mark.parametrize("path", ["/sign-out", "/account/authenticator"])
async def test_an_oversized_form_inside_a_session_gets_413(workspace: Workspace, path: str) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    _, page = await alice.get("/account/authenticator")
    status, body = await alice.post(path, {"filler": "x" * 40_000}, csrf_page=page)
    assert status == 413 and "What you sent is too large" in body
    assert (await alice.get("/inbox"))[0] == 200
