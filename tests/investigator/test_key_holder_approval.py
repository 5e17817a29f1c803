"""Two people to add a key holder: security staff make the account, a current member of the
unit approves it on the staff site, and every member is told until they acknowledge it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import aiohttp
import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.custody import enrolment, keyring
from dropbox_server.store import audit as audit_store
from dropbox_server.store import staff as staff_store
from tests.conftest import CHEAP_KDF, unlock_custodian
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import Investigator, text_of
from tests.investigator.test_audit import run_cli

DAVE_PASSWORD = "copper-whistle-tundra-maple-orbit"


async def _dave(ws: Workspace) -> Investigator:
    """`keys add-investigator` for Kent, which has members: no shares asked, the account waits."""
    done = run_cli(
        "keys", "add-investigator", "--data-dir", str(ws.settings.data_dir),
        "--unit", "kent-police", "--username", "dave", "--no-qr", stdin=f"{DAVE_PASSWORD}\n",
    )
    assert done.returncode == 0, done.stderr
    assert "waits for approval" in done.stdout
    secret = re.search(r"TOTP secret: ([A-Z2-7]{32})", done.stdout)
    fingerprint = re.search(r"key ([0-9A-F]{4}(?: [0-9A-F]{4}){3})", done.stdout)
    assert secret and fingerprint
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    ws.sessions.append(http)
    dave = Investigator(http, ws.investigator_url, "dave", DAVE_PASSWORD, secret.group(1), ws.clock)
    dave.last_page = fingerprint.group(1)  # kept to compare with what the approver sees
    return dave


def proof(who: Investigator) -> dict[str, str]:
    """The approver's password and a code from their authenticator."""
    return {"password": who.password, "code": who.code()}


async def test_a_second_key_holder_needs_a_members_approval_and_every_member_is_told(
    workspace: Workspace,
) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    carol = await workspace.enrol("carol", "kent-police")
    bob = await workspace.signed_in("bob", "essex-police")
    _, report_id = await submit(workspace, what_happened="a kent report")
    dave = await _dave(workspace)
    fingerprint = dave.last_page

    status, _ = await dave.sign_in_with("dave", DAVE_PASSWORD, dave.code())
    assert status == 401, "a waiting account cannot sign in"

    # Another unit's member sees nothing to approve and cannot approve it.
    _, page = await bob.get("/key-holders")
    assert "dave" not in text_of(page)
    workspace.clock.advance(30)  # a code spent at sign-in cannot be used again
    status, _ = await bob.post("/key-holders/approve", {"username": "dave", **proof(bob)})
    assert status == 404
    # A member of the unit sees it with the key's fingerprint; without a good token, refused.
    _, page = await alice.get("/key-holders")
    assert "dave" in text_of(page) and fingerprint in text_of(page)
    status, _ = await alice.post("/key-holders/approve", {"username": "dave", "csrf_token": "forged"})
    assert status == 403
    workspace.clock.advance(30)
    stolen_cookie = {"username": "dave", "password": "a guess", "code": alice.code()}
    status, body = await alice.post("/key-holders/approve", stolen_cookie, csrf_page=page)
    assert status == 400 and "was not right" in text_of(body), "a live session alone cannot approve"
    workspace.clock.advance(30)
    status, where = await alice.post("/key-holders/approve", {"username": "dave", **proof(alice)}, csrf_page=page)
    assert (status, where) == (303, "/key-holders?result=approved")
    workspace.clock.advance(30)
    status, _ = await alice.post("/key-holders/approve", {"username": "dave", **proof(alice)}, csrf_page=page)
    assert status == 404, "approving twice finds nothing waiting"

    await dave.sign_in()
    page = await dave.open_report(report_id)
    assert "a kent report" in text_of(page), "the approver's unit keys were sealed to dave"

    # Carol (a member) is told on her next sign-in, until she acknowledges it.
    await carol.sign_in()
    _, inbox = await carol.get("/inbox")
    banner = f"A new key holder, dave, was added to your unit on {today()} by security staff"
    assert banner in text_of(inbox) and "approved by alice" in text_of(inbox)
    notice = re.search(r'name="notice" value="([0-9]+)"', inbox)
    assert notice
    status, _ = await carol.post("/key-holders/notices/acknowledge", {"notice": notice.group(1), "csrf_token": "x"})
    assert status == 403
    status, where = await carol.post(
        "/key-holders/notices/acknowledge", {"notice": notice.group(1), "back": "/inbox"}, csrf_page=inbox
    )
    assert (status, where) == (303, "/inbox")
    for elsewhere in ("//evil.example/", "/\\evil.example", "https://evil.example/"):
        status, where = await carol.post(
            "/key-holders/notices/acknowledge", {"notice": notice.group(1), "back": elsewhere}, csrf_page=inbox
        )
        assert (status, where) == (303, "/"), "never back to another site"
    await carol.sign_out()
    workspace.clock.advance(30)
    await carol.sign_in()
    _, inbox = await carol.get("/inbox")
    assert "new key holder" not in text_of(inbox), "an acknowledged notice is not shown again"
    # Bob's unit is not told; the steps are audited.
    _, page = await bob.get("/inbox")
    assert "new key holder" not in text_of(page)
    actions = [(r.entry.action, r.entry.username) for r in await audit_store.entries(workspace.services.db)]
    assert ("enrolment_requested", "security staff (command line)") in actions
    assert ("enrolment_approved", "alice") in actions
    assert ("key_holder_notice_acknowledged", "carol") in actions


async def test_the_custodian_cannot_hand_a_unit_with_members_to_someone_alone(workspace: Workspace) -> None:
    await workspace.enrol("alice", "kent-police")
    custodian = await unlock_custodian(workspace.services.db)
    with pytest.raises(keyring.KeyringError, match="needs a member's approval"):
        await keyring.add_staff(
            workspace.services.db, username="mallory", unit_id="kent-police", role="investigator",
            password="x" * 20, custodian_private=custodian, kdf=CHEAP_KDF, totp_secret=None, day=today(),
        )


def test_a_weak_password_is_refused_and_a_blank_one_is_generated(workspace: Workspace) -> None:
    data = str(workspace.settings.data_dir)
    weak = run_cli(
        "keys", "add-investigator", "--data-dir", data, "--unit", "essex-police",
        "--role", "call_handler", "--username", "erin", "--no-qr", stdin="Password1!\n",
    )
    assert weak.returncode == 1 and "too weak" in weak.stderr
    made = run_cli(
        "keys", "add-investigator", "--data-dir", data, "--unit", "essex-police",
        "--role", "call_handler", "--username", "erin", "--no-qr", stdin="\n",
    )
    assert made.returncode == 0, made.stderr
    generated = re.search(r"erin's password is the generated passphrase: ([a-z-]+)", made.stdout)
    assert generated and len(generated.group(1).split("-")) == 7


async def test_changing_ones_password_on_the_staff_site_needs_a_strong_one(workspace: Workspace) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    _, page = await alice.get("/account/password")
    suggestion = re.search(r'<code class="secret">([a-z-]+)</code>', page)
    assert suggestion and len(suggestion.group(1).split("-")) == 7
    cases = (
        ({"current": alice.password, "new": "Password1!", "again": "Password1!"}, 400, "too easy to guess"),
        ({"current": alice.password, "new": suggestion.group(1), "again": "other"}, 400, "not the same"),
        ({"current": "wrong", "new": suggestion.group(1), "again": suggestion.group(1)}, 400, "not right"),
        ({"current": alice.password, "new": suggestion.group(1), "again": suggestion.group(1),
          "csrf_token": "forged"}, 403, "expired"),
    )
    for form, status, words in cases:
        got, body = await alice.post("/account/password", form, csrf_page=page)
        assert got == status and words in text_of(body), (form, got)
    new = suggestion.group(1)
    got, where = await alice.post(
        "/account/password", {"current": alice.password, "new": new, "again": new}, csrf_page=page
    )
    assert (got, where) == (303, "/account/password?result=changed")
    row = await staff_store.get_staff_by_username(workspace.services.db, "alice")
    assert row is not None
    with pytest.raises(envelope.WrongPassword):
        keyring.unwrap_staff_key(row, alice.password)
    assert keyring.unwrap_staff_key(row, new)


async def test_a_request_nobody_approved_in_two_weeks_expires_and_security_staff_see_it(
    workspace: Workspace,
) -> None:
    await workspace.enrol("alice", "kent-police")
    await _dave(workspace)
    listed = run_cli("keys", "list-staff", "--data-dir", str(workspace.settings.data_dir))
    assert re.search(r"dave .* waiting for a member's approval since " + today(), listed.stdout)
    db = workspace.services.db
    row = await staff_store.get_staff_by_username(db, "alice")
    assert row is not None
    alice = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, "pw-alice-long-enough"))
    later = (date.fromisoformat(today()) + timedelta(days=enrolment.PENDING_DAYS + 1)).isoformat()
    assert await enrolment.waiting(db, alice.staff, later) == []
    with pytest.raises(enrolment.EnrolmentRefused):
        await enrolment.approve(db, alice, "dave", later)
    assert [p.username for p in await enrolment.waiting(db, alice.staff, today())] == ["dave"]
