"""Sessions, CSRF tokens and throttles, with clocks under the test's control."""

from __future__ import annotations

import pytest

from dropbox_server.csrf import TOKEN_LIFETIME_SECONDS, CsrfTokens, TokenState
from dropbox_server.sessions import SessionsFull, SessionStore
from dropbox_server.throttle import KeyedBuckets, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_session_idle_and_absolute_expiry() -> None:
    clock = Clock()
    store: SessionStore[str] = SessionStore(
        idle_seconds=1800, absolute_seconds=3600, max_live=10, clock=clock
    )
    session = store.create("payload")
    clock.now += 1700
    assert store.get(session.id) is not None
    clock.now += 1700
    assert store.get(session.id) is not None  # touched at 1700, so still within idle
    clock.now += 1801
    assert store.get(session.id) is None
    assert len(store) == 0

    session = store.create("again")
    for _ in range(5):
        clock.now += 1000
        store.get(session.id)
    assert store.get(session.id) is None  # absolute lifetime reached


def test_session_cap_and_sweep() -> None:
    clock = Clock()
    store: SessionStore[int] = SessionStore(60, 60, max_live=3, clock=clock)
    for i in range(3):
        store.create(i)
    with pytest.raises(SessionsFull):
        store.create(4)
    clock.now += 61
    store.create(5)
    assert len(store) == 1


def test_a_full_store_can_evict_the_least_recently_used() -> None:
    clock = Clock()
    store: SessionStore[int] = SessionStore(60, 60, max_live=3, clock=clock, evict_when_full=True)
    first, second, third = (store.create(i) for i in range(3))
    assert store.get(first.id) is not None  # touched: now the most recently used
    fourth = store.create(4)
    assert store.get(second.id) is None, "the least recently used went"
    assert all(store.get(s.id) is not None for s in (first, third, fourth)) and len(store) == 3


def test_an_owner_has_one_live_session() -> None:
    store: SessionStore[int] = SessionStore(60, 60, max_live=3)
    older = store.create(1, owner="report-a")
    other = store.create(2, owner="report-b")
    newer = store.create(3, owner="report-a")
    assert store.get(older.id) is None and store.get(newer.id) is not None
    store.drop_owner("report-a")
    assert store.get(newer.id) is None and store.get(other.id) is not None and len(store) == 1


def test_session_ids_are_unguessable_and_unknown_ids_refused() -> None:
    store: SessionStore[int] = SessionStore(60, 60, 10)
    ids = {store.create(i).id for i in range(10)}
    assert len(ids) == 10 and all(len(i) >= 40 for i in ids)
    assert store.get("nope") is None and store.get(None) is None


def test_drop_where() -> None:
    store: SessionStore[int] = SessionStore(60, 60, 10)
    for i in range(4):
        store.create(i)
    assert store.drop_where(lambda p: p % 2 == 0) == 2
    assert len(store) == 2


def test_csrf_tokens() -> None:
    clock = Clock()
    csrf = CsrfTokens(clock=clock)
    anon = csrf.issue()
    assert csrf.check(anon)
    assert csrf.check(anon, spend=True)
    assert not csrf.check(anon, spend=True), "a spent token must not work twice"
    bound = csrf.issue("session-secret")
    assert csrf.check(bound, "session-secret")
    assert not csrf.check(bound, "other-session")
    assert not csrf.check(bound)
    assert not CsrfTokens(clock=clock).check(csrf.issue()), "tokens are bound to the process key"
    old = csrf.issue()
    clock.now += TOKEN_LIFETIME_SECONDS + 1
    assert not csrf.check(old)
    for junk in (None, "", "a.b", "a.b.c", "x" * 500, old.replace(".", "!"), "1.é.٠١٢"):
        assert not csrf.check(junk)


def test_spent_tokens_are_bounded_and_forgetting_never_reopens_one() -> None:
    """Issue 14 item 8: the spent set has a ceiling; a token pushed out of it stays refused."""
    clock = Clock()
    csrf = CsrfTokens(clock=clock, max_spent=3)
    first = [csrf.issue() for _ in range(2)]
    clock.now += 1
    later = [csrf.issue() for _ in range(3)]
    for token in first + later:
        assert csrf.claim(token) is TokenState.GOOD
    assert len(csrf) == 3
    assert [csrf.claim(t) for t in first] == [TokenState.BAD] * 2, "forgotten, yet still refused"
    assert [csrf.claim(t) for t in later] == [TokenState.SPENT] * 3
    clock.now += TOKEN_LIFETIME_SECONDS + 1
    assert csrf.claim(csrf.issue()) is TokenState.GOOD
    assert len(csrf) == 1, "expired spent tokens are dropped as new ones are spent"


def test_a_released_claim_can_be_claimed_again() -> None:
    csrf = CsrfTokens(clock=Clock())
    token = csrf.issue("browser")
    assert csrf.claim(token, "browser") is TokenState.GOOD
    assert csrf.claim(token, "browser") is TokenState.SPENT
    csrf.release(token)
    assert csrf.claim(token, "browser") is TokenState.GOOD
    assert csrf.claim(token, "another-browser") is TokenState.BAD


def test_token_bucket() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2.0, burst=4, clock=clock)
    assert [bucket.try_take() for _ in range(5)] == [True] * 4 + [False]
    assert bucket.seconds_until_token() == 1
    clock.now += 0.5
    assert bucket.try_take() and not bucket.try_take()
    clock.now += 100
    assert sum(bucket.try_take() for _ in range(10)) == 4


def test_keyed_buckets_are_independent() -> None:
    buckets = KeyedBuckets(rate=0.001, burst=2)
    assert buckets.try_take("alice") and buckets.try_take("alice")
    assert not buckets.try_take("alice")
    assert buckets.try_take("bob")


# --- Guards that a mutation could silently remove -------------------------------------------


def test_each_session_has_its_own_unguessable_csrf_secret() -> None:
    store: SessionStore[int] = SessionStore(60, 60, 20)
    secrets_seen = {store.create(i).csrf_secret for i in range(20)}
    assert len(secrets_seen) == 20
    assert all(len(s) >= 40 for s in secrets_seen)


def test_session_bound_tokens_do_not_cross_sessions_or_fall_back_to_anonymous() -> None:
    store: SessionStore[int] = SessionStore(60, 60, 10)
    csrf = CsrfTokens()
    one, two = store.create(1), store.create(2)
    anonymous = csrf.issue()
    assert not csrf.check(anonymous, one.csrf_secret), "an unbound token must not pass a session check"
    assert not csrf.check(csrf.issue(one.csrf_secret), two.csrf_secret)
    assert csrf.check(csrf.issue(two.csrf_secret), two.csrf_secret)


def test_a_spent_token_stays_spent_for_its_whole_lifetime() -> None:
    clock = Clock()
    csrf = CsrfTokens(clock=clock)
    token = csrf.issue()
    assert csrf.check(token, spend=True)
    for step in (1, 60, 3600, TOKEN_LIFETIME_SECONDS - 3602):
        clock.now += step
        assert not csrf.check(token, spend=True), f"replayed {clock.now - 1_000_000:.0f} s later"


def test_spent_tokens_are_forgotten_once_they_could_no_longer_pass() -> None:
    clock = Clock()
    csrf = CsrfTokens(clock=clock)
    for _ in range(5):
        assert csrf.check(csrf.issue(), spend=True)
    clock.now += TOKEN_LIFETIME_SECONDS
    fresh = csrf.issue()
    assert csrf.check(fresh, spend=True)
    assert len(csrf._spent) == 6, "kept until the lifetime has fully passed"
    clock.now += 1
    assert csrf.check(csrf.issue(), spend=True)
    assert len(csrf._spent) == 2, "older spent tokens are dropped so memory stays bounded"


def test_token_age_edges() -> None:
    clock = Clock()
    csrf = CsrfTokens(clock=clock)
    token = csrf.issue()
    clock.now += TOKEN_LIFETIME_SECONDS
    assert csrf.check(token), "valid for exactly its lifetime"
    clock.now = 1_000_000.0 - 1
    assert not csrf.check(token), "a token from the future is refused"


def test_token_shape_checks() -> None:
    csrf = CsrfTokens()
    token = csrf.issue()
    issued, nonce, mac = token.split(".")
    assert not csrf.check(f"{issued}.{nonce}.{mac}.")
    assert not csrf.check(f"x{issued}.{nonce}.{mac}")
    assert not csrf.check(f"{issued}.{nonce}x.{mac}")
    assert not csrf.check(f"{issued}.{nonce}.{mac[:-1]}")
    assert len(token) <= 200
    assert not csrf.check(token + "A" * (201 - len(token)))
    forged_time = f"{int(issued) + 1}.{nonce}"
    assert not csrf.check(f"{forged_time}.{mac}")
    assert len({csrf.issue() for _ in range(50)}) == 50


def test_session_sweep_keeps_live_sessions() -> None:
    clock = Clock()
    store: SessionStore[int] = SessionStore(60, 3600, max_live=3, clock=clock)
    old = store.create(1)
    clock.now += 59
    live = store.create(2)
    clock.now += 2
    store.sweep()
    assert len(store) == 1 and store.get(live.id) is not None and store.get(old.id) is None
    clock.now += 60
    assert store.get(live.id) is not None, "exactly the idle limit is still alive"
    assert store.get(live.id).payload == 2


def test_session_absolute_edge() -> None:
    clock = Clock()
    store: SessionStore[str] = SessionStore(idle_seconds=100, absolute_seconds=150, max_live=2, clock=clock)
    session = store.create("x")
    assert session.created == session.last_seen == clock.now
    clock.now += 75
    assert store.get(session.id) is not None
    clock.now += 75
    assert store.get(session.id) is not None, "exactly the absolute limit is still alive"
    clock.now += 1
    assert store.get(session.id) is None


def test_drop_where_keeps_the_others() -> None:
    store: SessionStore[int] = SessionStore(60, 60, 10)
    kept = store.create(1)
    store.create(2)
    assert store.drop_where(lambda p: p == 2) == 1
    assert store.get(kept.id) is not None
    store.drop(kept.id)
    store.drop("never-existed")
    assert len(store) == 0


def test_a_new_key_does_not_reset_another_keys_limit() -> None:
    buckets = KeyedBuckets(rate=0.001, burst=2)
    assert buckets.try_take("alice") and buckets.try_take("alice")
    for n in range(50):
        buckets.try_take(f"someone-{n}")
    assert not buckets.try_take("alice"), "cycling other usernames must not refill alice's bucket"


def test_keyed_buckets_stay_bounded_without_forgetting_live_ones() -> None:
    clock = Clock()
    buckets = KeyedBuckets(rate=0.001, burst=1, max_keys=3, clock=clock)
    for name in ("a", "b", "c"):
        assert buckets.try_take(name)
    assert not buckets.try_take("d"), "a full table of live buckets refuses new keys"
    assert len(buckets) == 3
    assert not buckets.try_take("a"), "a's spent attempt is still remembered"
    clock.now += 1000
    assert buckets.try_take("d"), "refilled buckets are forgotten, making room"
    assert len(buckets) <= 3
    assert not buckets.try_take("d")


def test_token_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=0.5, burst=3, clock=clock)
    assert sum(bucket.try_take() for _ in range(5)) == 3
    assert bucket.seconds_until_token() == 2
    clock.now += 1.9
    assert not bucket.try_take()
    assert bucket.seconds_until_token() == 1
    clock.now += 0.1
    assert bucket.try_take()
    clock.now += 1.0
    assert not bucket.try_take(), "half a token is not a token"


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_token_bucket_refuses_nonsense(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match=r"^rate and burst must be positive$"):
        TokenBucket(rate=rate, burst=burst)


def test_token_format_is_form_safe() -> None:
    csrf = CsrfTokens()
    issued, nonce, mac = csrf.issue("s").split(".")
    assert issued.isdigit() and len(nonce) == 16 and len(mac) == 43
    assert "=" not in mac and "+" not in mac and "/" not in mac


def test_only_a_well_signed_integer_time_is_read() -> None:
    """Defence in depth: even a correctly signed token must carry a whole-second issue time."""
    csrf = CsrfTokens()
    body = "soon.nonce"
    assert not csrf.check(f"{body}.{csrf._mac(body, None)}")


def test_token_length_edge() -> None:
    """200 characters is the most accepted (leading zeros in the time still parse)."""
    clock = Clock()
    csrf = CsrfTokens(clock=clock)
    for length, accepted in ((200, True), (201, False)):
        probe = f"{int(clock.now)}.nonce"
        body = f"{int(clock.now):0>{length - len(probe) - 44 + len(str(int(clock.now)))}}.nonce"
        token = f"{body}.{csrf._mac(body, None)}"
        assert len(token) == length
        assert csrf.check(token) is accepted
