"""The audit trail: every staff action is logged without content, and `audit verify` catches edits."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from dropbox_server import audit
from dropbox_server.store import audit as audit_store
from tests.conftest import custodian_shares_of
from tests.enrol_flow import enrolment_code
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import Investigator, text_of
from tests.investigator.enrol_site import enrol_on_site
from tests.officer import OPERATOR, officer

REPO = Path(__file__).resolve().parents[2]
DAVE_PASSWORD = "quartz-lantern-harbour-violet-9"


def run_cli(*args: str, stdin: str = "", cheap: bool = True) -> subprocess.CompletedProcess[str]:
    """run.py as security staff would; `cheap` sets the test KDF (refused on an unmarked directory)."""
    env = {**os.environ, "TIPDROP_KDF": "1,8192,1"} if cheap else {k: v for k, v in os.environ.items() if k != "TIPDROP_KDF"}
    return subprocess.run(
        [sys.executable, "run.py", *args, *officer(args)],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def _journey(ws: Workspace) -> str:
    _, report_id = await submit(ws, what_happened="AUDITMARKER what happened")
    alice = await ws.enrol("alice", "kent-police")
    assert (await alice.sign_in_with("alice", "wrong password", "123456"))[0] == 401
    await alice.sign_in()
    await alice.act(report_id, "reply", {"reply": "AUDITMARKER reply"})
    await alice.act(report_id, "note", {"note": "AUDITMARKER note"})
    await alice.act(
        report_id, "outcome", {"outcome": "assessing", "reason": "AUDITMARKER", "seen_outcome": "new"}
    )
    page = await alice.open_report(report_id)
    await alice.post(
        f"/reports/{report_id}/transfer",
        {"to_unit": "essex-police", "transfer_reason": "AUDITMARKER", "seen_outcome": "assessing", "confirmed": "yes"},
        csrf_page=page,
    )
    await alice.sign_out()
    return report_id


async def test_staff_actions_are_logged_without_content(workspace: Workspace) -> None:
    report_id = await _journey(workspace)
    rows = await audit_store.entries(workspace.services.db)
    actions = [r.entry.action for r in rows]
    assert actions == [
        "enrolment_requested",  # security staff: a code
        "enrolment_redeemed",  # alice: her own key
        "enrolment_approved",  # Kent's first key holder: security staff with K shares
        "sign_in_failed",
        "sign_in",
        "view",
        "reply",
        "view",
        "note",
        "view",
        "outcome",
        "view",
        "transfer",
        "inbox_viewed",
        "sign_out",
    ]
    transfer = rows[actions.index("transfer")].entry
    assert (transfer.report_id, transfer.unit_id, transfer.detail) == (
        report_id,
        "kent-police",
        "to=essex-police",
    )
    assert rows[actions.index("outcome")].entry.detail == "new->assessing"
    for row in rows:
        assert "AUDITMARKER" not in repr(row.entry)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", row.entry.at)  # the day only (issue 14 item 16)
    result = await audit.verify(workspace.services.db)
    assert result.ok and result.entries == len(rows) and result.head == rows[-1].hash


async def test_the_log_refuses_updates_and_deletes(workspace: Workspace) -> None:
    await _journey(workspace)
    with sqlite3.connect(workspace.settings.database_path) as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute("UPDATE audit_log SET detail = 'x' WHERE seq = 2")
    with sqlite3.connect(workspace.settings.database_path) as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute("DELETE FROM audit_log WHERE seq = 2")


def _tamper(db_path: Path, sql: str) -> None:
    """What someone with the database file could do: drop the guards and rewrite."""
    with sqlite3.connect(db_path) as raw:
        raw.execute("DROP TRIGGER audit_log_no_update")
        raw.execute("DROP TRIGGER audit_log_no_delete")
        raw.execute(sql)


@pytest.mark.parametrize(
    ("sql", "broken", "problem"),
    [
        ("UPDATE audit_log SET staff_id = 99 WHERE seq = 5", 5, "has been altered"),
        ("UPDATE audit_log SET at = '2020-01-01T00:00:00+00:00' WHERE seq = 3", 3, "has been altered"),
        ("DELETE FROM audit_log WHERE seq = 4", 4, "is missing"),
    ],
)
async def test_audit_verify_cli_names_the_first_broken_entry(
    workspace: Workspace, sql: str, broken: int, problem: str
) -> None:
    await _journey(workspace)
    data_dir = str(workspace.settings.data_dir)
    good = run_cli("audit", "verify", "--data-dir", data_dir)
    assert good.returncode == 0, good.stderr
    assert "Audit log intact: 15 entries." in good.stdout and "Head hash: " in good.stdout
    _tamper(workspace.settings.database_path, sql)
    bad = run_cli("audit", "verify", "--data-dir", data_dir)
    assert bad.returncode == 1
    assert f"Audit log BROKEN at entry {broken}: it {problem}." in bad.stdout


async def test_rehashing_one_entry_breaks_the_next_link(workspace: Workspace) -> None:
    """Recomputing an edited entry's own hash is not enough: the next entry names the old one."""
    await _journey(workspace)
    rows = await audit_store.entries(workspace.services.db)
    edited = rows[4].entry.__class__(**{**vars(rows[4].entry), "detail": "forged"})
    new_hash = audit.link(5, rows[3].hash, edited, workspace.services.db.audit_seed)
    _tamper(
        workspace.settings.database_path,
        f"UPDATE audit_log SET detail = 'forged', hash = x'{new_hash.hex()}' WHERE seq = 5",
    )
    result = await audit.verify(workspace.services.db)
    assert (result.broken_seq, result.problem) == (6, "does not follow the entry before it")


async def test_add_investigator_cli_then_the_newcomer_enrols_on_the_site_and_it_is_logged(
    workspace: Workspace,
) -> None:
    """The officer's command prints only a code; the newcomer's own browser chooses the
    password and authenticator and is shown the key's fingerprint; approve-first takes K
    shares and that fingerprint, typed; every step is in the audit log."""
    data_dir = str(workspace.settings.data_dir)
    done = run_cli("keys", "add-investigator", "--data-dir", data_dir, "--unit", "kent-police", "--username", "dave")
    assert done.returncode == 0, done.stderr
    assert "otpauth" not in done.stdout and "TOTP secret" not in done.stdout
    code = enrolment_code(done.stdout)
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    workspace.sessions.append(http)
    weak = await enrol_on_site(http, workspace.investigator_url, workspace.clock, code, "password123")
    assert weak.status == 400 and "too easy to guess" in text_of(weak.page)
    enrolled = await enrol_on_site(http, workspace.investigator_url, workspace.clock, code, DAVE_PASSWORD)
    assert enrolled.status == 200 and enrolled.fingerprint, enrolled.page[:2000]
    assert "Read this fingerprint aloud to security staff" in text_of(enrolled.page)
    again = await enrol_on_site(http, workspace.investigator_url, workspace.clock, code, DAVE_PASSWORD)
    assert again.status == 400 and "does not work" in text_of(again.page), "a code works once"
    dave = Investigator(http, workspace.investigator_url, "dave", DAVE_PASSWORD, enrolled.totp_secret, workspace.clock)
    status, _ = await dave.sign_in_with("dave", DAVE_PASSWORD, dave.code())
    assert status == 401, "no sign-in before approval"
    shares = "".join(s + "\n" for s in custodian_shares_of(workspace.settings.data_dir)[:2])
    approved = run_cli("keys", "approve-first", "--data-dir", data_dir, "--username", "dave",
                       stdin=shares + enrolled.fingerprint.lower() + "\n")
    assert approved.returncode == 0, approved.stderr
    workspace.clock.advance(30)
    await dave.sign_in()
    rows = await audit_store.entries(workspace.services.db)
    logged = [(r.entry.action, r.entry.username) for r in rows]
    for step in (("enrolment_requested", OPERATOR), ("enrolment_redeemed", "dave"), ("enrolment_approved", OPERATOR),
                 ("sign_in", "dave")):
        assert step in logged, step
    assert ("enrolment_code_refused", "(unknown)") in logged
    secret = enrolled.totp_secret
    # The secret is stored sealed, never as text.
    assert secret.encode() not in workspace.settings.database_path.read_bytes()
