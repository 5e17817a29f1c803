"""Regression (insider finding F4): the health checks see a rewritten audit trail and refusals.

Attacker (b): writes the database only. Before the fix `health.database_checks` never checked
the audit chain, and a refused key check only added words to a certificates check that stayed
well: swap a key, be refused, swap it back, and health read all well. Both tests passed as
ATTACKS on the base (all checks well; certificates ok with refused == 1).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dropbox_server import audit, envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify
from dropbox_server.health import database_checks
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import audit as audit_store
from dropbox_server.store import open_database
from tests.conftest import TEST_SHARES, custodian_shares_of, enrol_member, init_test_data_dir

REPO = Path(__file__).resolve().parents[2]


def _cli(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "run.py", *args, "--data-dir", str(settings.data_dir)],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, "TIPDROP_KDF": "1,8192,1"},
        timeout=120, check=False, input=stdin,
    )


async def test_an_audit_entry_rewritten_by_sql_fails_the_audit_chain_check(settings: Settings) -> None:
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await enrol_member(services.db, username="alice", unit_id="kent-police", role="investigator",
                           password="alice password quartz lantern")
    chain = {c.name: c for c in database_checks(settings, today())}["audit chain"]
    assert chain.ok and chain.facts["checkpoint"] == 3  # kept by the approval itself (N1)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DROP TRIGGER audit_log_no_update")
        raw.execute("UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2")
    db = await open_database(settings.database_path)
    try:
        assert not (await audit.verify(db)).ok  # the tamper is real: `audit verify` sees it
    finally:
        await db.close()
    chain = {c.name: c for c in database_checks(settings, today())}["audit chain"]
    assert not chain.ok and chain.facts["broken_entry"] == 2


async def test_the_log_cut_back_before_the_kept_checkpoint_fails_the_audit_chain_check(settings: Settings) -> None:
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await enrol_member(services.db, username="alice", unit_id="kent-police", role="investigator",
                           password="alice password quartz lantern")
    done = _cli(settings, "audit", "checkpoint")
    assert done.returncode == 0, done.stderr
    kept = audit.parse_checkpoint((settings.data_dir / audit.CHECKPOINT_NAME).read_text("utf-8"))
    assert kept.seq > 2 and audit.parse_checkpoint(done.stdout) == kept
    chain = {c.name: c for c in database_checks(settings, today())}["audit chain"]
    assert chain.ok and chain.facts["checkpoint"] == kept.seq
    with sqlite3.connect(settings.database_path) as raw:  # cut off the newest entries: links still hold
        raw.execute("DROP TRIGGER audit_log_no_delete")
        raw.execute("DELETE FROM audit_log WHERE seq >= ?", (kept.seq - 1,))
    chain = {c.name: c for c in database_checks(settings, today())}["audit chain"]
    assert not chain.ok and "cut short" in chain.summary


async def test_a_refused_key_swap_undone_afterwards_fails_until_acknowledged(settings: Settings) -> None:
    await init_test_data_dir(settings)
    evil = envelope.generate_keypair()
    with sqlite3.connect(settings.database_path) as raw:
        original = bytes(raw.execute(
            "SELECT public_key FROM unit_keys WHERE unit_id = 'kent-police' ORDER BY id DESC").fetchone()[0])
        raw.execute("UPDATE unit_keys SET public_key = ? WHERE public_key = ?", (evil.public, original))
    async with open_services(settings) as services:
        content = ReportContent(force="kent-police", conduct="corruption", what_happened="x")
        with pytest.raises(certify.UncertifiedKey):  # the defence works at the moment of sealing
            await submit_report(services.db, services.receipts, content, None, "online", today())
    with sqlite3.connect(settings.database_path) as raw:  # the writer puts it back
        raw.execute("UPDATE unit_keys SET public_key = ? WHERE public_key = ?", (original, evil.public))
    check = {c.name: c for c in database_checks(settings, today())}["certificates"]
    assert not check.ok and check.facts["unacknowledged"] == 1 and check.facts["failed"] == 0
    # Clearing the alarm is the swap's last step: one officer alone cannot (issue 18 follow-up).
    alone = _cli(settings, "audit", "acknowledge", "--operator", "jo.smith")
    assert alone.returncode == 1 and "needs the custodian shares" in alone.stderr, alone.stdout
    wrong = _cli(settings, "audit", "acknowledge", "--operator", "jo.smith", stdin="not a share\n")
    assert wrong.returncode == 1, wrong.stdout
    assert not {c.name: c for c in database_checks(settings, today())}["certificates"].ok
    shares = "".join(s + "\n" for s in custodian_shares_of(settings.data_dir)[: TEST_SHARES.threshold])
    done = _cli(settings, "audit", "acknowledge", "--operator", "jo.smith", stdin=shares)
    assert done.returncode == 0 and "Acknowledged 1" in done.stdout, done.stderr
    checks = {c.name: c for c in database_checks(settings, today())}
    assert checks["certificates"].ok and checks["certificates"].facts["refused"] == 1
    assert checks["audit chain"].ok  # the acknowledgement is a keyed entry like any other
    db = await open_database(settings.database_path)
    try:
        acks = [r.entry for r in await audit_store.entries(db) if r.entry.action == "key_checks_acknowledged"]
    finally:
        await db.close()
    assert [a.detail for a in acks] == ["refused=1 by=jo.smith"]
