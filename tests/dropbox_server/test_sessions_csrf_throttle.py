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
