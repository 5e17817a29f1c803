"""Invariant 10, as an insider would test it: a copy of the database and of every file in the
data directory, plus one staff password, opens no report. K custodian shares do; K-1 do not.

The data directory is made and staffed with the real command line (`init` prints 5 shares,
threshold 3); the attacker then works on a copy with the project's own use cases and keys.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dropbox_server import custodian_shares, envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import custodian, keyring
from dropbox_server.reports import casework
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import Database
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from tests.conftest import CHEAP_KDF
from tests.enrol_flow import enrolment_code, redeem_code
from tests.officer import officer

ROOT = Path(__file__).resolve().parents[2]
SECRET = "INSIDERMARKER the sergeant sold the witness list"
PASSWORDS = {
    "alice": "ember-cactus-violin-harbor-plume",  # Kent investigator: the only Kent key holder
    "bob": "saffron-ladder-glacier-moth-ribbon",  # Essex investigator: another unit
    "carl": "tinsel-orchard-basalt-cricket-fjord",  # Kent call handler: not a key holder
}


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args, *officer(args)], input=stdin, capture_output=True, text=True,
        cwd=ROOT, env={"TIPDROP_KDF": "1,8192,1", "PATH": "/usr/bin"}, timeout=120, check=False,
    )


def issued_shares(init_output: str) -> dict[str, str]:
    lines = init_output.splitlines()
    return {line[4:-4]: lines[i + 1] for i, line in enumerate(lines) if line.startswith("--- ")}


async def _service(data: Path) -> tuple[dict[str, str], str]:
    """A real data directory: `init` with five named holders, three staff, one Kent report."""
    made = run("init", "--data-dir", str(data), "--routing", "direct",  # the report reaches Kent
               "--holders", "security,desk,oversight,legal,chair")
    assert made.returncode == 0, made.stderr
    shares = issued_shares(made.stdout)
    assert list(shares) == ["security", "desk", "oversight", "legal", "chair"]
    assert "any 3 of these 5" in made.stdout
    three = "".join(f"{shares[h]}\n" for h in ("security", "oversight", "chair"))
    for name, unit, role in (("alice", "kent-police", "investigator"), ("bob", "essex-police", "investigator"),
                             ("carl", "kent-police", "call_handler")):
        done = run("keys", "add-investigator", "--data-dir", str(data), "--unit", unit, "--username", name,
                   "--role", role, stdin=three if role == "call_handler" else "")  # keyless: K shares
        assert done.returncode == 0, done.stderr
        redeemed, _ = await redeem_code(data, enrolment_code(done.stdout), PASSWORDS[name])
        if redeemed.needs_approval:  # each unit's first key holder: K shares and the fingerprint
            approved = run("keys", "approve-first", "--data-dir", str(data), "--username", name,
                           stdin=three + redeemed.fingerprint + "\n")
            assert approved.returncode == 0, approved.stderr
    settings = Settings.for_data_dir(data, receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)
    async with open_services(settings) as services:
        content = ReportContent(force="kent-police", conduct="corruption", what_happened=SECRET)
        receipt = await submit_report(services.db, services.receipts, content, None, "online", today())
        access = await open_with_receipt(services.db, services.receipts, receipt)
        assert access is not None
    return shares, access.report_id


async def _stolen_keys(db: Database) -> list[bytes]:
    """Every private key the insider reaches with the copy and a non-Kent-member's password."""
    reachable: list[bytes] = []
    for name in ("bob", "carl"):
        row = await staff_store.get_staff_by_username(db, name)
        assert row is not None
        private = keyring.unwrap_staff_key(row, PASSWORDS[name])
        unlocked = await keyring.unlock_staff(db, row, private)
        reachable += [private, *unlocked.unit_keys.values()]
    return reachable


async def test_a_copy_of_everything_but_the_shares_opens_no_report(tmp_path: Path) -> None:
    shares, report_id = await _service(tmp_path / "live" / "data")
    # The insider's copy: the database and every other file of the data directory.
    stolen = tmp_path / "insider" / "data"
    shutil.copytree(tmp_path / "live" / "data", stolen)
    blob = b"".join(p.read_bytes() for p in stolen.rglob("*") if p.is_file())
    for words in shares.values():
        assert " ".join(words.split()[3:6]).encode() not in blob, "no share (nor part of one) is stored"
    settings = Settings.for_data_dir(stolen, receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)
    async with open_services(settings) as services:
        db = services.db
        assert await enrolment_store.legacy_wrapped_custodian(db) is None, "no passphrase-wrapped custodian"
        report = await report_store.get_report(db, report_id)
        assert report is not None
        # The staff path: another unit's investigator and a Kent non-member, with their passwords.
        keys = await _stolen_keys(db)
        assert keys
        for name in ("bob", "carl"):
            row = await staff_store.get_staff_by_username(db, name)
            assert row is not None
            unlocked = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, PASSWORDS[name]))
            with pytest.raises(casework.NotReadable):
                await casework.open_report(db, report, unlocked.unit_keys)
        # Every key reachable tried on every sealed copy of the report key, whatever its id.
        grants = await report_store.report_grants(db, report.seq, "content")
        for _, sealed in grants:
            for key in keys:
                with pytest.raises(envelope.EnvelopeError):
                    envelope.unseal(key, sealed)
        # The custodian path with K-1 shares: refused, and nothing to try them on.
        two = [shares["desk"], shares["legal"]]
        with pytest.raises(custodian.CustodianError, match="1 more share"):
            await custodian.unlock(db, two)
        with pytest.raises(custodian_shares.ShareError):
            custodian_shares.combine(two)
        # With K shares (any three), the same copy opens the report.
        private = await custodian.unlock(db, [shares["desk"], shares["legal"], shares["chair"]])
        unit_keys = await keyring.unit_private_keys_from_custodian(db, "kent-police", private)
        opened = await casework.open_report(db, report, unit_keys)
        assert opened.content is not None and opened.content.what_happened == SECRET


def test_init_refuses_a_split_one_person_could_open(tmp_path: Path) -> None:
    for args, message in (
        (("--threshold", "1"), "threshold of at least 2"),
        (("--threshold", "4", "--shares", "3"), "at most the number of shares"),
        (("--holders", "security,desk", "--shares", "3"), "2 holders were named for 3 shares"),
        (("--holders", "security,security,desk"), "named once"),
    ):
        done = run("init", "--data-dir", str(tmp_path / "d"), *args)
        assert done.returncode == 1 and message in done.stderr, (args, done.stderr)
        assert not (tmp_path / "d").exists()
    assert re.search(r"--holders", run("init", "--help").stdout)
