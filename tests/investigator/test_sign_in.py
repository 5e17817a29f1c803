"""Sign-in over HTTP: password + TOTP, one answer for every refusal, replay, expiry, throttling."""

from __future__ import annotations

import re

from dropbox_server.clock import today
from dropbox_server.config import SessionSettings, ThrottleSettings
from dropbox_server.custody import staff_auth
from dropbox_server.kdf import KdfRunner
from dropbox_server.store import audit as audit_store
from tests.investigator.conftest import Workspace, running_workspace
from tests.investigator.driver import FakeClock, text_of

_TOKEN = re.compile(r'name="csrf_token" value="[^"]+"')


def _without_token(page: str) -> str:
    return _TOKEN.sub("", page)


async def _log(ws: Workspace) -> list[audit_store.AuditEntry]:
    return [row.entry for row in await audit_store.entries(ws.services.db)]


async def test_sign_in_sets_a_strict_cookie_and_opens_the_inbox(workspace: Workspace) -> None:
    alice = await workspace.enrol("alice", "kent-police")
    _, page = await alice.get("/sign-in")
    data = {"username": "alice", "password": alice.password, "code": alice.code()}
    data["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    async with alice.http.post(alice.base + "/sign-in", data=data, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/inbox"
        cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("tipdrop_staff=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie
    status, page = await alice.get("/inbox")
    assert status == 200 and "Signed in as alice" in page
    actions = [(e.action, e.username) for e in await _log(workspace)]
    # Signing in, then the inbox page it showed (listing the inbox is audited too).
    assert actions[-2:] == [("sign_in", "alice"), ("inbox_viewed", "alice")]


async def test_every_refusal_looks_the_same(workspace: Workspace) -> None:
    alice = await workspace.enrol("alice", "kent-police")
    wrong_password = await alice.sign_in_with("alice", "not-the-password", alice.code())
    unknown_user = await alice.sign_in_with("nobody", alice.password, alice.code())
    wrong_code = await alice.sign_in_with(
        "alice", alice.password, "000000" if alice.code() != "000000" else "111111"
    )
    assert wrong_password[0] == unknown_user[0] == wrong_code[0] == 401
    assert _without_token(wrong_password[1]) == _without_token(wrong_code[1])
    # The username typed is echoed back, so compare the pages with it normalised.
    assert _without_token(unknown_user[1]).replace("nobody", "alice") == _without_token(wrong_password[1])
    assert "The username, password or code was not right" in wrong_password[1]
    failures = [(e.username, e.detail) for e in await _log(workspace) if e.action == "sign_in_failed"]
    assert failures == [("alice", "wrong_password"), ("(unknown)", "unknown_user"), ("alice", "wrong_code")]


async def test_a_code_cannot_be_used_twice_even_after_a_restart(
    workspace: Workspace, clock: FakeClock
) -> None:
    alice = await workspace.enrol("alice", "kent-police")
    code = alice.code()
    await alice.sign_in(code)
    assert (await alice.sign_out())[0] == 303
    status, _ = await alice.sign_in_with("alice", alice.password, code)
    assert status == 401
    # A new process (fresh app, same database) still refuses the spent code.
    async with running_workspace(workspace.settings, workspace.services, clock) as restarted:
        again = await restarted.enrol("bob", "kent-police")
        again.username, again.password, again.secret = "alice", alice.password, alice.secret
        assert (await again.sign_in_with("alice", alice.password, code))[0] == 401
        await again.sign_in(alice.code(offset_steps=1))
    failures = [e.detail for e in await _log(workspace) if e.action == "sign_in_failed"]
    assert failures == ["reused_code", "reused_code"]


async def test_idle_and_absolute_expiry_end_the_session(workspace: Workspace, clock: FakeClock) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    clock.advance(29 * 60)
    assert (await alice.get("/inbox"))[0] == 200
    clock.advance(31 * 60)
    status, page = await alice.get("/inbox", follow=False)
    assert status == 303
    status, page = await alice.get("/inbox")
    assert status == 200 and "Your session ended" in page
    # Absolute limit: active every 20 minutes, still signed out after 8 hours.
    clock.advance(60)
    await alice.sign_in()
    for _ in range(8 * 3):
        clock.advance(20 * 60)
        assert (await alice.get("/inbox", follow=False))[0] == 200
    clock.advance(1)
    assert (await alice.get("/inbox", follow=False))[0] == 303


async def test_a_form_posted_after_expiry_says_so_with_401(workspace: Workspace, clock: FakeClock) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    _, inbox = await alice.get("/inbox")
    clock.advance(31 * 60)
    status, page = await alice.post("/sign-out", {}, csrf_page=inbox)
    assert status == 401 and "Your session ended" in page


async def test_sign_out_drops_the_session(workspace: Workspace) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    old_cookie = {c.key: c.value for c in alice.http.cookie_jar}["tipdrop_staff"]
    status, where = await alice.sign_out()
    assert (status, where) == (303, "/sign-in?result=signed_out")
    assert "tipdrop_staff" not in {c.key for c in alice.http.cookie_jar}
    # Replaying the old cookie is no use: the server forgot the session.
    async with alice.http.get(
        alice.base + "/inbox", cookies={"tipdrop_staff": old_cookie}, allow_redirects=False
    ) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/sign-in?result=expired"


async def test_posts_need_the_session_csrf_token(workspace: Workspace) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    status, _ = await alice.post("/sign-out", {"csrf_token": "1.2.3"})
    assert status == 403
    assert (await alice.get("/inbox"))[0] == 200


async def test_failed_attempts_are_throttled_per_account(workspace: Workspace) -> None:
    alice = await workspace.enrol("alice", "kent-police")
    bob = await workspace.enrol("bob", "kent-police")
    burst = workspace.settings.throttle.staff_sign_in_per_account_burst
    for _ in range(burst):
        assert (await alice.sign_in_with("alice", "guess", "123456"))[0] == 401
    status, page = await alice.sign_in_with("alice", alice.password, alice.code())
    assert status == 429 and "too many sign-in attempts" in page
    await bob.sign_in()


async def test_failed_attempts_are_throttled_overall(workspace: Workspace, clock: FakeClock) -> None:
    throttle = ThrottleSettings(staff_sign_in_burst=4, staff_sign_in_per_second=0.01)
    settings = workspace.settings.with_changes(throttle=throttle)
    async with running_workspace(settings, workspace.services, clock) as ws:
        alice = await ws.enrol("alice", "kent-police")
        for name in ("u1", "u2", "u3", "u4"):
            assert (await alice.sign_in_with(name, "guess", "123456"))[0] == 401
        assert (await alice.sign_in_with("alice", alice.password, alice.code()))[0] == 429
        clock.advance(120)  # the overall bucket refills with (injected) time
        await alice.sign_in()


async def test_small_session_limits_from_settings(workspace: Workspace, clock: FakeClock) -> None:
    settings = workspace.settings.with_changes(sessions=SessionSettings(staff_idle_seconds=5))
    async with running_workspace(settings, workspace.services, clock) as ws:
        alice = await ws.signed_in("alice", "kent-police")
        clock.advance(6)
        assert (await alice.get("/inbox", follow=False))[0] == 303


class CountingRunner(KdfRunner):
    """A real KDF pool that counts the derivations it runs."""

    def __init__(self) -> None:
        super().__init__(workers=1, max_waiting=4)
        self.runs = 0

    async def run(self, fn, *args):  # type: ignore[no-untyped-def]
        self.runs += 1
        return await super().run(fn, *args)


async def test_unknown_usernames_cost_one_argon2id_run_like_known_ones(workspace: Workspace) -> None:
    from tests.conftest import CHEAP_KDF

    db = workspace.services.db
    await workspace.enrol("alice", "kent-police")
    runner = CountingRunner()
    try:
        decoy = staff_auth.make_decoy(CHEAP_KDF)
        for username, password in (("nobody", "x" * 12), ("alice", "wrong-password")):
            before = runner.runs
            result = await staff_auth.sign_in(db, runner, decoy, (username, password, "123456"), 0.0, today())
            assert result.unlocked is None
            assert runner.runs - before == 1
    finally:
        runner.close()


async def test_call_handlers_are_refused_the_inbox(workspace: Workspace) -> None:
    carol = await workspace.signed_in("carol", "kent-police", role="call_handler")
    status, page = await carol.get("/inbox")
    assert status == 403 and "signed in as a call handler" in text_of(page)
    status, _ = await carol.get("/passed-on")
    assert status == 403


async def test_the_authenticator_can_be_replaced(workspace: Workspace, clock: FakeClock) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    status, page = await alice.get("/account/authenticator")
    assert status == 200 and '<svg xmlns="http://www.w3.org/2000/svg"' in page
    new_secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)  # type: ignore[union-attr]
    import pyotp

    proof = {"password": alice.password, "current_code": alice.code(offset_steps=1)}
    wrong = await alice.post("/account/authenticator", {"code": alice.code(offset_steps=1), **proof})
    assert wrong[0] == 400
    _, page = await alice.get("/account/authenticator")
    assert new_secret in page  # the pending secret is kept until confirmed
    clock.advance(30)
    proof["current_code"] = alice.code(offset_steps=1)
    status, where = await alice.post(
        "/account/authenticator", {"code": pyotp.TOTP(new_secret).at(clock.now), **proof}
    )
    assert (status, where) == (303, "/account/authenticator?result=replaced")
    await alice.sign_out()
    clock.advance(60)
    assert (await alice.sign_in_with("alice", alice.password, alice.code()))[0] == 401
    alice.secret = new_secret
    await alice.sign_in()
    assert "authenticator_replaced" in [e.action for e in await _log(workspace)]
