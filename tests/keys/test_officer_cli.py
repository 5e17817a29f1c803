"""Issue 15: the security officer's command line, driven as `run.py` subprocesses with answers on
standard input, as an officer (or their script) would."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from dropbox_server import audit, envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import backup, keyring
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import StaffRow, open_database
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store.database import migrations
from tests.conftest import Sites, custodian_shares_of, init_test_data_dir, unlock_custodian
from tests.enrol_flow import enrolment_code, redeem_now
from tests.officer import OPERATOR, officer

ROOT = Path(__file__).resolve().parents[2]
ENV = {"TIPDROP_KDF": "1,8192,1", "PATH": "/usr/bin"}
KEY_HOLDING = ("investigator", "supervisor", "desk_analyst", "desk_supervisor")


def shares(data_dir: Path) -> str:
    """K of the custodian shares `init` issued for this data directory, one a line."""
    return "".join(s + "\n" for s in custodian_shares_of(data_dir)[:2])


def command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "run.py"), *args, "--data-dir", str(data_dir), *officer(args)]


def run(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(data_dir, *args), input=stdin, capture_output=True, text=True, cwd=ROOT, env=ENV
    )


def enrol_cli(data_dir: Path, username: str, role: str = "investigator", unit: str = "kent-police") -> str:
    """Enrol as the officer and the newcomer would: `add-investigator` prints a code, the
    newcomer redeems it with their own password, and a unit's first key holder is approved
    with `approve-first` (K shares, then the fingerprint the newcomer reads out). A later key
    holder is left waiting for a member's approval."""
    marks = ",".join("?" * len(KEY_HOLDING))
    holders = rows(data_dir, f"SELECT count(*) FROM staff WHERE unit_id = ? AND role IN ({marks})", unit, *KEY_HOLDING)
    first = role in KEY_HOLDING and holders == [(0,)]
    keyless = "" if role in KEY_HOLDING else shares(data_dir)  # a keyless account: K shares (D1)
    done = run(data_dir, "keys", "add-investigator", "--unit", unit, "--username", username, "--role", role,
               stdin=keyless)
    assert done.returncode == 0, done.stderr
    redeemed, _ = redeem_now(data_dir, enrolment_code(done.stdout), f"{username} glacier violet trombone")
    if not first:
        return done.stdout
    approved = run(data_dir, "keys", "approve-first", "--username", username,
                   stdin=shares(data_dir) + redeemed.fingerprint + "\n")
    assert approved.returncode == 0, approved.stderr
    return done.stdout + approved.stdout


def rows(data_dir: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(data_dir / "tipdrop.sqlite3") as conn:
        return conn.execute(sql, params).fetchall()


def staff_row(data_dir: Path, username: str) -> tuple[object, ...] | None:
    found = rows(data_dir, "SELECT id, wrapped_private_key FROM staff WHERE username = ?", username)
    return found[0] if found else None


def opens_with(data_dir: Path, username: str, password: str) -> bool:
    row = staff_row(data_dir, username)
    assert row is not None
    try:
        envelope.unwrap_with_password(password, bytes(row[1]), keyring.STAFF_KEY_PURPOSE)  # type: ignore[arg-type]
    except envelope.WrongPassword:
        return False
    return True


def audit_details(data_dir: Path, action: str) -> list[str]:
    return [str(r[0]) for r in rows(data_dir, "SELECT detail FROM audit_log WHERE action = ?", action)]


@pytest.fixture
async def data_dir(settings: Settings) -> Path:
    await init_test_data_dir(settings, routing="direct")  # reports reach the named force
    return settings.data_dir


async def submitted(settings: Settings, force: str = "kent-police") -> str:
    async with open_services(settings) as services:
        content = ReportContent(force=force, conduct="corruption", what_happened="the sergeant took money")
        receipt = await submit_report(services.db, services.receipts, content, None, "online", today())
        access = await open_with_receipt(services.db, services.receipts, receipt)
        assert access is not None
        return access.report_id


# 1. Every role answers the same questions in the same order.


async def test_add_investigator_asks_for_nothing_secret_and_extra_input_is_refused(
    data_dir: Path,
) -> None:
    """Insider review K4: the officer types no password and sees no authenticator secret; the
    newcomer's own redemption makes the key. A first key holder is approved only with K shares
    and the exact fingerprint."""
    out = enrol_cli(data_dir, "carol", role="call_handler")
    assert "TOTP secret" not in out and "otpauth" not in out and "glacier" not in out
    assert staff_row(data_dir, "carol") is not None, "a call handler needs no approval"
    assert opens_with(data_dir, "carol", "carol glacier violet trombone")
    extra = run(data_dir, "keys", "add-investigator", "--unit", "kent-police", "--username", "dave",
                "--role", "call_handler", stdin=shares(data_dir) + "dave glacier violet trombone\n")
    assert extra.returncode == 1 and "more line(s) on standard input" in extra.stderr
    assert rows(data_dir, "SELECT count(*) FROM pending_enrolments WHERE username = 'dave'") == [(0,)]
    asked = run(data_dir, "keys", "add-investigator", "--unit", "kent-police", "--username", "erin")
    assert asked.returncode == 0, asked.stderr
    redeemed, _ = redeem_now(data_dir, enrolment_code(asked.stdout), "erin glacier violet trombone")
    assert redeemed.first_key_holder
    one_share = custodian_shares_of(data_dir)[0] + "\n"
    few = run(data_dir, "keys", "approve-first", "--username", "erin", stdin=one_share)
    assert few.returncode == 1 and "share" in few.stderr, "a first key holder needs K shares"
    wrong = envelope.fingerprint(envelope.generate_keypair().public)
    refused = run(data_dir, "keys", "approve-first", "--username", "erin", stdin=shares(data_dir) + wrong + "\n")
    assert refused.returncode == 1 and "not the fingerprint" in refused.stderr
    assert staff_row(data_dir, "erin") is None
    assert any("wrong_fingerprint" in d for d in audit_details(data_dir, "enrolment_approval_refused"))
    approved = run(data_dir, "keys", "approve-first", "--username", "erin",
                   stdin=shares(data_dir) + redeemed.fingerprint + "\n")
    assert approved.returncode == 0, approved.stderr
    assert opens_with(data_dir, "erin", "erin glacier violet trombone")


# 3. A restore is built beside the target and appears whole, audit entry included.


async def test_an_interrupted_restore_leaves_nothing_half_done_and_can_be_run_again(
    data_dir: Path, tmp_path: Path
) -> None:
    keys_file, db_copy = tmp_path / "keys.backup", tmp_path / "db.copy"
    assert run(data_dir, "keys", "backup", "--out", str(keys_file)).returncode == 0
    assert run(data_dir, "keys", "backup-db", "--out", str(db_copy)).returncode == 0
    for attempt, delay in enumerate((0.0, 0.3, 0.6, 0.9, 1.2, 1.5, 2.0)):
        target = tmp_path / f"restored-{attempt}"
        args = ("keys", "restore", "--in", str(keys_file), "--database", str(db_copy))
        proc = subprocess.Popen(
            command(target, *args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env=ENV,
            text=True,
        )
        assert proc.stdin is not None
        proc.stdin.write(shares(data_dir))
        proc.stdin.close()
        time.sleep(delay)
        proc.kill()  # as a power cut would: no handler runs
        proc.wait()
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
        if target.exists():
            assert rows(target, "SELECT count(*) FROM audit_log WHERE action = 'restored'") == [(1,)]
            continue
        again = run(target, *args, stdin=shares(data_dir))
        assert again.returncode == 0, again.stderr
        assert "files/" in again.stdout, "the officer is reminded to copy the attachments"
        [detail] = audit_details(target, "restored")
        assert f"by={OPERATOR}" in detail
        assert not any(p.name.endswith(".restoring") for p in tmp_path.iterdir())


# 4. Ctrl-C and a closed pipe: nothing half done, no traceback.


def _python_started(pid: int) -> None:
    """Wait until run.py's own first lines have run: they catch SIGTERM as well as SIGINT.

    The interpreter catches SIGINT (raising KeyboardInterrupt) a few milliseconds before it
    reaches the script's first line; no program can answer a Ctrl-C in that window, and on a
    loaded machine a test that waited only for SIGINT could land there. Python itself never
    catches SIGTERM, so that bit marks run.py's handler."""
    for _ in range(30_000):
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
        if caught & (1 << (signal.SIGTERM - 1)) and caught & (1 << (signal.SIGINT - 1)):
            return
        time.sleep(0.001)
    raise AssertionError("run.py never installed its interrupt handlers")


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Both outputs once the process ends (its standard input already closed)."""
    out = proc.stdout.read() if proc.stdout and not proc.stdout.closed else ""
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait(timeout=120)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    return out, err


def _enrol_process(data_dir: Path, username: str, *role: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(data_dir, "keys", "add-investigator", "--unit", "kent-police", "--username", username, *role),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=ENV,
        text=True,
    )


async def test_ctrl_c_at_any_moment_says_what_was_changed(data_dir: Path) -> None:
    for attempt, delay in enumerate((0.05, 0.1, 0.2, 0.5, 1.0, 1.5, 2.5)):
        username = f"user{attempt}"
        proc = _enrol_process(data_dir, username)
        _python_started(proc.pid)
        assert proc.stdin is not None  # the end of input never comes: it waits there
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "Event loop is closed" not in err, err
        assert "interrupted; nothing was changed" in err
        assert staff_row(data_dir, username) is None
    for attempt, delay in enumerate((0.5, 1.0, 1.5, 2.0, 3.0)):
        username = f"whole{attempt}"
        proc = _enrol_process(data_dir, username)
        _python_started(proc.pid)
        assert proc.stdin is not None
        proc.stdin.close()
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = finish(proc)
        assert "Traceback" not in err and "Event loop is closed" not in err, err
        exists = rows(data_dir, "SELECT count(*) FROM pending_enrolments WHERE username = ?", username) == [(1,)]
        if proc.returncode == 0:
            assert exists and "Enrolment code" in out
        else:
            assert proc.returncode == 130, err
            if exists:
                assert f"already done: an enrolment code for {username} made" in err
                assert "Enrolment code" in out, "its code was shown before it was stored"
            else:
                assert "interrupted; nothing was changed" in err


async def test_a_closed_output_never_loses_a_new_accounts_secret(data_dir: Path) -> None:
    proc = _enrol_process(data_dir, "alice")
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdout.close()  # `| head -0`: nobody will read the enrolment code
    proc.stdin.close()
    _, err = finish(proc)
    assert proc.returncode == 1, err
    assert "standard output was closed before the end; nothing was changed" in err
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert rows(data_dir, "SELECT count(*) FROM pending_enrolments") == [(0,)], "no request whose code nobody saw"
    enrol_cli(data_dir, "alice")
    rekey = subprocess.Popen(
        command(data_dir, "keys", "reset-password", "--username", "alice", "--old-password-lost", "--yes"),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=ENV, text=True,
    )  # fmt: skip
    assert rekey.stdout is not None and rekey.stdin is not None
    rekey.stdout.close()
    rekey.stdin.write(shares(data_dir))
    rekey.stdin.close()
    _, err = finish(rekey)
    assert rekey.returncode == 1 and "nothing was changed" in err, err
    assert rows(data_dir, "SELECT count(*) FROM pending_enrolments") == [(0,)], "no re-key code nobody saw"
    assert opens_with(data_dir, "alice", "alice glacier violet trombone"), "the key is unchanged"


# 5. Checks and confirmations.


async def test_units_are_checked_confirmed_renamed_and_retired(data_dir: Path, settings: Settings) -> None:
    bad = run(data_dir, "keys", "create-unit", "--id", "Bad ID!", "--name", "Bad", "--yes")
    assert bad.returncode == 1 and "lowercase" in bad.stderr
    empty = run(data_dir, "keys", "create-unit", "--id", "new-force", "--name", "  ", "--yes")
    assert empty.returncode == 1 and "needs a name" in empty.stderr
    unconfirmed = run(data_dir, "keys", "create-unit", "--id", "new-force", "--name", "New Force",
                      stdin=shares(data_dir))
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    alone = run(data_dir, "keys", "create-unit", "--id", "new-force", "--name", "New Force", "--yes")
    assert alone.returncode == 1 and "needs the custodian shares" in alone.stderr, alone.stderr
    assert rows(data_dir, "SELECT count(*) FROM units WHERE id = 'new-force'") == [(0,)]
    made = run(data_dir, "keys", "create-unit", "--id", "new-force", "--name", "New Force", "--yes",
               stdin=shares(data_dir))
    assert made.returncode == 0, made.stderr
    alone = run(data_dir, "keys", "rename-unit", "--id", "new-force", "--name", "Newer Force", "--yes")
    assert alone.returncode == 1, alone.stderr  # K shares (insider finding D5)
    assert rows(data_dir, "SELECT name FROM units WHERE id = 'new-force'") == [("New Force",)]
    renamed = run(data_dir, "keys", "rename-unit", "--id", "new-force", "--name", "Newer Force", "--yes",
                  stdin=shares(data_dir))
    assert renamed.returncode == 0 and rows(data_dir, "SELECT name FROM units WHERE id = 'new-force'") == [
        ("Newer Force",)
    ]
    report_id = await submitted(settings, force="essex-police")
    held = run(data_dir, "keys", "retire-unit", "--id", "essex-police", "--yes", stdin=shares(data_dir))
    assert held.returncode == 1 and report_id in held.stderr and "pass them on" in held.stderr
    alone = run(data_dir, "keys", "retire-unit", "--id", "new-force", "--yes")
    assert alone.returncode == 1 and "needs the custodian shares" in alone.stderr, alone.stderr
    assert rows(data_dir, "SELECT retired_day FROM units WHERE id = 'new-force'") == [(None,)]
    retired = run(data_dir, "keys", "retire-unit", "--id", "new-force", "--yes", stdin=shares(data_dir))
    assert retired.returncode == 0, retired.stderr
    assert "retired" in run(data_dir, "keys", "list-units", "--unit", "new-force").stdout
    for action in ("unit_created", "unit_renamed", "unit_retired"):
        assert [d for d in audit_details(data_dir, action) if f"by={OPERATOR}" in d], action
    nope = run(data_dir, "keys", "list-staff", "--unit", "nope")
    assert nope.returncode == 1 and "there is no unit 'nope'" in nope.stderr
    username = run(
        data_dir,
        "keys",
        "add-investigator",
        "--unit",
        "kent-police",
        "--username",
        "Bad Name",
        stdin=shares(data_dir) + "pw-long-enough\n",
    )
    assert username.returncode == 1 and "a username is" in username.stderr


async def test_retention_and_onion_client_removal_ask_first(data_dir: Path, settings: Settings) -> None:
    report_id = await submitted(settings)
    with sqlite3.connect(data_dir / "tipdrop.sqlite3") as conn:
        conn.execute(
            "UPDATE reports SET outcome = 'no-further-action', last_activity_day = '2001-01-01' WHERE id = ?",
            (report_id,),
        )
    dry = run(data_dir, "retention", "run", "--dry-run")
    assert dry.returncode == 0 and "would delete 1 report(s)" in dry.stdout
    assert "retention deleted" not in dry.stderr + dry.stdout
    unconfirmed = run(data_dir, "retention", "run")
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr
    assert rows(data_dir, "SELECT count(*) FROM reports") == [(1,)]
    done = run(data_dir, "retention", "run", "--yes")
    assert done.returncode == 0 and "deleted 1 report(s)" in done.stdout
    assert rows(data_dir, "SELECT count(*) FROM reports") == [(0,)]
    assert run(data_dir, "keys", "add-onion-client", "alice-laptop").returncode == 0
    kept = run(data_dir, "keys", "remove-onion-client", "alice-laptop")
    assert kept.returncode == 1 and "--yes" in kept.stderr
    assert "alice-laptop" in run(data_dir, "keys", "list-onion-clients").stdout
    assert run(data_dir, "keys", "remove-onion-client", "alice-laptop", "--yes").returncode == 0
    assert "alice-laptop" not in run(data_dir, "keys", "list-onion-clients").stdout


# 6 and 7. Honest messages; who did it; ids never reused.


async def test_messages_say_what_is_true_and_entries_name_the_operator(
    data_dir: Path, tmp_path: Path
) -> None:
    other = Settings.for_data_dir(tmp_path / "other" / "data")
    await init_test_data_dir(other)
    other_shares = shares(other.data_dir)  # well-formed shares of another service's custodian
    enrol_cli(data_dir, "alice")
    rotated = run(data_dir, "keys", "rotate-unit-key", "--unit", "kent-police", "--yes")
    assert rotated.returncode == 0 and "sign in again" not in rotated.stdout
    assert "at once" in rotated.stdout
    [detail] = audit_details(data_dir, "unit_key_rotated")
    assert f"by={OPERATOR}" in detail
    wrong = run(
        data_dir, "keys", "rotate-unit-key", "--unit", "kent-police", "--reseal-old", "--yes", stdin=other_shares
    )
    assert wrong.returncode == 1 and "nothing was changed" in wrong.stderr
    [failed] = audit_details(data_dir, "custodian_shares_refused")
    assert failed == f"by={OPERATOR}"
    keys_file = tmp_path / "keys.backup"
    wrote = run(data_dir, "keys", "backup", "--out", str(keys_file))
    assert wrote.returncode == 0 and "no reporter onion key yet" in wrote.stdout
    assert "first `serve` with Tor" in wrote.stdout
    no_operator = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "keys",
            "rotate-unit-key",
            "--unit",
            "kent-police",
            "--yes",
            "--data-dir",
            str(data_dir),
        ],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
    )
    assert no_operator.returncode == 1 and "--operator" in no_operator.stderr
    verify = [sys.executable, str(ROOT / "run.py"), "keys", "verify-backup", str(keys_file)]
    checked = subprocess.run(verify, input=shares(data_dir), capture_output=True, text=True, env=ENV)
    assert checked.returncode == 0, checked.stderr
    assert f"Made on: {today()}" in checked.stdout and "Sealed to the custodian key" in checked.stdout
    assert "Onion keys: none" in checked.stdout
    assert "audit key: yes" in checked.stdout  # the keyed audit chain's outside key travels with it
    wrong_backup = subprocess.run(verify, input=other_shares, capture_output=True, text=True, env=ENV)
    assert wrong_backup.returncode == 1 and "not this service's custodian key" in wrong_backup.stderr


async def test_staff_ids_are_never_reused(data_dir: Path) -> None:
    enrol_cli(data_dir, "alice")
    enrol_cli(data_dir, "bob", role="call_handler")  # a second key holder would wait for approval
    bob = staff_row(data_dir, "bob")
    assert bob is not None
    removed = run(data_dir, "keys", "remove-investigator", "--username", "bob", "--yes")
    assert removed.returncode == 0, removed.stderr
    enrol_cli(data_dir, "carol", role="call_handler")
    carol = staff_row(data_dir, "carol")
    assert carol is not None and int(carol[0]) > int(bob[0])  # type: ignore[call-overload]


async def test_ids_of_accounts_removed_before_the_migration_are_not_reused(settings: Settings) -> None:
    """Data of the version before the staff-ids migration: a removed account is known only
    from the audit log; after upgrading, the next account does not take its id."""
    settings.data_dir.mkdir(parents=True)
    before = next(v for v, name, _ in migrations() if name.endswith("_unit_retirement_staff_ids.sql")) - 1
    db = await open_database(settings.database_path, migrate_up_to=before)
    try:
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO units (id, name, kind, created_day) VALUES ('u', 'U', 'force', '2025-01-01')"
            )
            for staff_id, name in ((1, "alice"), (2, "bob")):
                await tx.execute(
                    "INSERT INTO staff (id, username, unit_id, role, public_key, wrapped_private_key, "
                    "created_day) VALUES (?, ?, 'u', 'call_handler', x'00', x'00', '2025-01-01')",
                    (staff_id, name),
                )
        bob = StaffRow(2, "bob", "u", "call_handler", b"\0", b"\0", None, "2025-01-01", None)
        await key_store.delete_staff(db, 2, audit.pending("staff_removed", staff=bob), None)
    finally:
        await db.close()
    upgraded = await open_database(settings.database_path)
    try:
        new_id = await staff_store.insert_staff(
            upgraded,
            username="carol",
            unit_id="u",
            role="call_handler",
            public_key=b"\0",
            wrapped_private_key=b"\0",
            totp_secret_sealed=None,
            day="2025-01-02",
            unit_key_grants={},
        )
    finally:
        await upgraded.close()
    assert new_id == 3


async def test_the_forms_offer_the_units_in_the_database(sites: Sites, http: aiohttp.ClientSession) -> None:
    """A unit created on the command line is on the reporter's form at once; retired, it is
    gone and a report naming it goes to the hub."""
    data_dir = sites.settings.data_dir
    made = run(data_dir, "keys", "create-unit", "--id", "new-force", "--name", "New Force Police", "--yes",
               stdin=shares(data_dir))
    assert made.returncode == 0, made.stderr
    async with http.get(f"{sites.reporter_url}/report") as resp:
        page = await resp.text()
    assert 'value="new-force"' in page and "New Force Police" in page
    assert 'value="kent-police"' in page, "the seeded forces are still offered"
    retired = run(data_dir, "keys", "retire-unit", "--id", "new-force", "--yes", stdin=shares(data_dir))
    assert retired.returncode == 0, retired.stderr
    async with http.get(f"{sites.reporter_url}/report") as resp:
        assert 'value="new-force"' not in await resp.text()
    db = sites.services.db
    content = ReportContent(force="new-force", conduct="corruption", what_happened="stale form")
    receipt = await submit_report(db, sites.services.receipts, content, None, "online", today())
    access = await open_with_receipt(db, sites.services.receipts, receipt)
    assert access is not None
    assert rows(data_dir, "SELECT unit_id FROM reports WHERE id = ?", access.report_id) == [("national-hub",)]


async def test_a_restore_that_fails_before_its_audit_entry_leaves_no_target(data_dir: Path, tmp_path: Path) -> None:
    """The deterministic half of item 3: whatever stops the restore before its audit entry is
    written (here the entry itself fails), the target never appears, and a rerun works."""
    keys_file, db_copy = tmp_path / "keys.backup", tmp_path / "db.copy"
    assert run(data_dir, "keys", "backup", "--out", str(keys_file)).returncode == 0
    assert run(data_dir, "keys", "backup-db", "--out", str(db_copy)).returncode == 0
    db = await open_database(data_dir / "tipdrop.sqlite3")
    try:
        key = await unlock_custodian(db)
    finally:
        await db.close()
    target = Settings.for_data_dir(tmp_path / "restored")

    async def cut_off(staging: Settings) -> None:
        assert staging.database_path.exists() and not target.data_dir.exists()
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await backup.restore(keys_file, key, db_copy, target, before_publish=cut_off)
    assert not target.data_dir.exists()
    assert not backup.staging_dir(target.data_dir).exists()
    again = run(target.data_dir, "keys", "restore", "--in", str(keys_file), "--database", str(db_copy),
                stdin=shares(data_dir))  # fmt: skip
    assert again.returncode == 0, again.stderr


async def test_list_units_says_which_units_are_offered_on_no_form(data_dir: Path) -> None:
    """Insider finding U2: a unit renamed by SQL fails its certificate; list-units says so."""
    with sqlite3.connect(data_dir / "tipdrop.sqlite3") as raw:
        raw.execute("UPDATE units SET name = 'Kent Police 2' WHERE id = 'essex-police'")
    listed = run(data_dir, "keys", "list-units").stdout
    essex = listed[listed.index("essex-police"):]
    assert essex.splitlines()[1].strip().startswith("OFFERED ON NO FORM: fails its certificate")
    kent = listed[listed.index("kent-police"):]
    assert "OFFERED ON NO FORM" not in kent.splitlines()[1]
