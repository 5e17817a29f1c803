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
from tests.conftest import custodian_shares_of, unlock_custodian
from tests.enrol_flow import enrolment_code
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import Investigator, text_of
from tests.investigator.enrol_site import enrol_on_site
from tests.investigator.test_audit import run_cli
from tests.officer import OPERATOR

DAVE_PASSWORD = "copper-whistle-tundra-maple-orbit"


async def _dave(ws: Workspace) -> Investigator:
    """`keys add-investigator` for Kent, which has members: only a code is printed; dave
    redeems it on the site with his own password and is shown his key's fingerprint."""
    done = run_cli(
        "keys", "add-investigator", "--data-dir", str(ws.settings.data_dir),
        "--unit", "kent-police", "--username", "dave",
    )
    assert done.returncode == 0, done.stderr
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    ws.sessions.append(http)
    enrolled = await enrol_on_site(http, ws.investigator_url, ws.clock, enrolment_code(done.stdout), DAVE_PASSWORD)
    assert enrolled.status == 200 and enrolled.fingerprint, enrolled.page[:2000]
    assert "Read this fingerprint aloud to a current key holder" in text_of(enrolled.page)
    dave = Investigator(http, ws.investigator_url, "dave", DAVE_PASSWORD, enrolled.totp_secret, ws.clock)
    dave.last_page = enrolled.fingerprint  # what dave reads out to the approver
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
    # A member of the unit sees it, but never the fingerprint: she must hear it from dave.
    _, page = await alice.get("/key-holders")
    assert "dave" in text_of(page) and fingerprint not in text_of(page)
    status, _ = await alice.post("/key-holders/approve", {"username": "dave", "csrf_token": "forged"})
    assert status == 403
    workspace.clock.advance(30)
    stolen_cookie = {"username": "dave", "fingerprint": fingerprint, "password": "a guess", "code": alice.code()}
    status, body = await alice.post("/key-holders/approve", stolen_cookie, csrf_page=page)
    assert status == 400 and "was not right" in text_of(body), "a live session alone cannot approve"
    workspace.clock.advance(30)
    misheard = fingerprint[:-1] + ("0" if fingerprint[-1] != "0" else "1")
    status, body = await alice.post(
        "/key-holders/approve", {"username": "dave", "fingerprint": misheard, **proof(alice)}, csrf_page=page
    )
    assert status == 400 and "not the fingerprint" in text_of(body), "only the exact fingerprint approves"
    workspace.clock.advance(30)
    heard = {"username": "dave", "fingerprint": fingerprint.lower(), **proof(alice)}
    status, where = await alice.post("/key-holders/approve", heard, csrf_page=page)
    assert (status, where) == (303, "/key-holders?result=approved")
    workspace.clock.advance(30)
    status, _ = await alice.post(
        "/key-holders/approve", {"username": "dave", "fingerprint": fingerprint, **proof(alice)}, csrf_page=page
    )
    assert status == 404, "approving twice finds nothing waiting"

    await dave.sign_in()
    page = await dave.open_report(report_id)
    assert "a kent report" in text_of(page), "the approver's unit keys were sealed to dave"

    # Carol (a member) is told on her next sign-in, until she acknowledges it.
    await carol.sign_in()
    _, inbox = await carol.get("/inbox")
    banner = f"A new key holder, dave, was added to your unit on {today()} by {OPERATOR}"
    assert banner in text_of(inbox) and "approved by alice" in text_of(inbox)
    notice = re.search(r'name="notice" value="(e[0-9]+)"', inbox)
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
    assert ("enrolment_requested", OPERATOR) in actions and ("enrolment_redeemed", "dave") in actions
    assert ("enrolment_approved", "alice") in actions
    assert ("key_holder_notice_acknowledged", "carol") in actions


async def test_the_custodian_cannot_hand_a_unit_with_members_to_someone_alone(workspace: Workspace) -> None:
    await workspace.enrol("alice", "kent-police")
    await _dave(workspace)
    custodian = await unlock_custodian(workspace.services.db)
    row = await staff_store.get_staff_by_username(workspace.services.db, "alice")
    assert row is not None
    pending = await enrolment.all_waiting(workspace.services.db, "kent-police")
    assert [p.username for p in pending] == ["dave"] and pending[0].public_key is not None
    with pytest.raises(enrolment.EnrolmentRefused) as refused:
        await enrolment.approve_first(
            workspace.services.db, custodian, "dave", envelope.fingerprint(pending[0].public_key), today(),
            approved_by="officer",
        )
    assert refused.value.reason == "has_members"
    assert await staff_store.get_staff_by_username(workspace.services.db, "dave") is None


async def test_a_weak_or_mismatched_password_is_refused_on_the_enrolment_page(workspace: Workspace) -> None:
    data = str(workspace.settings.data_dir)
    shares = "".join(s + "\n" for s in custodian_shares_of(workspace.settings.data_dir)[:2])
    extra = run_cli(
        "keys", "add-investigator", "--data-dir", data, "--unit", "essex-police",
        "--role", "call_handler", "--username", "erin", stdin=shares + "Password1!\n",
    )
    assert extra.returncode == 1 and "more line(s) on standard input" in extra.stderr, "no password is asked"
    made = run_cli(
        "keys", "add-investigator", "--data-dir", data, "--unit", "essex-police",
        "--role", "call_handler", "--username", "erin", stdin=shares,  # a keyless account: K shares
    )
    assert made.returncode == 0, made.stderr
    code = enrolment_code(made.stdout)
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    workspace.sessions.append(http)
    site, clock = workspace.investigator_url, workspace.clock
    weak = await enrol_on_site(http, site, clock, code, "Password1!")
    assert weak.status == 400 and "too easy to guess" in text_of(weak.page)
    other = await enrol_on_site(http, site, clock, code, DAVE_PASSWORD, again=DAVE_PASSWORD + "x")
    assert other.status == 400 and "not the same" in text_of(other.page)
    done = await enrol_on_site(http, site, clock, code, DAVE_PASSWORD)
    assert done.status == 200 and "Your account is ready" in text_of(done.page), "a call handler needs no approval"
    erin = Investigator(http, site, "erin", DAVE_PASSWORD, done.totp_secret, clock)
    clock.advance(30)
    await erin.sign_in()


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
    dave = await _dave(workspace)
    listed = run_cli("keys", "list-staff", "--data-dir", str(workspace.settings.data_dir))
    assert re.search(r"dave .* asked " + today() + ": redeemed " + today() + ", waiting for approval", listed.stdout)
    db = workspace.services.db
    row = await staff_store.get_staff_by_username(db, "alice")
    assert row is not None
    alice = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, "pw-alice-long-enough"))
    later = (date.fromisoformat(today()) + timedelta(days=enrolment.PENDING_DAYS + 1)).isoformat()
    assert await enrolment.waiting(db, alice.staff, later) == []
    with pytest.raises(enrolment.EnrolmentRefused):
        await enrolment.approve(db, alice, "dave", dave.last_page, later)
    assert [p.username for p in await enrolment.waiting(db, alice.staff, today())] == ["dave"]
