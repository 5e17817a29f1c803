"""Replacing the authenticator needs the password and a current code, and ends the other sessions."""

from __future__ import annotations

import re

import aiohttp
import pyotp

from dropbox_server.store import audit as audit_store
from tests.investigator.conftest import Workspace
from tests.investigator.driver import FakeClock, Investigator


def _new_secret(page: str) -> str:
    return re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)  # type: ignore[union-attr]


async def _actions(ws: Workspace) -> list[tuple[str, str]]:
    return [(r.entry.action, r.entry.detail) for r in await audit_store.entries(ws.services.db)]


async def _second_browser(ws: Workspace, alice: Investigator) -> Investigator:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    ws.sessions.append(http)
    return Investigator(http, alice.base, alice.username, alice.password, alice.secret, alice.clock)


async def test_a_live_session_alone_cannot_replace_the_authenticator(
    workspace: Workspace, clock: FakeClock
) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    _, page = await alice.get("/account/authenticator")
    new = pyotp.TOTP(_new_secret(page))
    clock.advance(30)
    attempts = [
        {"code": new.at(clock.now)},  # what an attacker holding only the cookie can send
        {"code": new.at(clock.now), "password": "not-her-password", "current_code": alice.code()},
        {"code": new.at(clock.now), "password": alice.password, "current_code": "000000"},
        {"code": new.at(clock.now), "password": alice.password, "current_code": "٠١٢٣٤٥"},
    ]
    for data in attempts:
        _, page = await alice.get("/account/authenticator")
        status, body = await alice.post("/account/authenticator", data)
        assert status == 400, (data, status)
        assert "Your password or the code from your current authenticator was not right" in body
    assert [d for a, d in await _actions(workspace) if a == "authenticator_replace_failed"] == [
        "wrong_password",
        "wrong_password",
        "wrong_code",
        "wrong_code",
    ]
    assert "authenticator_replaced" not in [a for a, _ in await _actions(workspace)]
    clock.advance(30)
    await alice.sign_out()
    await alice.sign_in()  # the old authenticator still works


async def test_replacing_the_authenticator_ends_the_other_sessions(
    workspace: Workspace, clock: FakeClock
) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    clock.advance(30)
    elsewhere = await _second_browser(workspace, alice)
    await elsewhere.sign_in()
    bob = await workspace.signed_in("bob", "kent-police")
    clock.advance(30)
    _, page = await alice.get("/account/authenticator")
    new_secret = _new_secret(page)
    data = {
        "code": pyotp.TOTP(new_secret).at(clock.now),
        "password": alice.password,
        "current_code": alice.code(),
    }
    status, where = await alice.post("/account/authenticator", data)
    assert (status, where) == (303, "/account/authenticator?result=replaced")
    assert (await alice.get("/inbox", follow=False))[0] == 200
    assert (await elsewhere.get("/inbox", follow=False))[0] == 303, "the other session must end"
    assert (await bob.get("/inbox", follow=False))[0] == 200, "nobody else's session ends"
    _, done = await alice.get("/account/authenticator?result=replaced")
    assert "signed out everywhere else" in done
    clock.advance(30)
    await alice.sign_out()
    assert (await alice.sign_in_with("alice", alice.password, alice.code()))[0] == 401
    alice.secret = new_secret
    await alice.sign_in()
