"""A keyed audit chain with signed checkpoints: an insider who can write the database, but does
not hold the key beside it, cannot edit, delete or cut entries without `audit verify` failing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dropbox_server import audit, envelope
from dropbox_server.config import Settings
from dropbox_server.store import audit as audit_store
from dropbox_server.store import open_database
from dropbox_server.store.audit import AuditEntry
from tests.investigator.conftest import Workspace
from tests.investigator.test_audit import _journey, run_cli


def _rows(db_path: Path) -> list[tuple[int, AuditEntry]]:
    with sqlite3.connect(db_path) as raw:
        found = raw.execute(
            "SELECT seq, at, action, staff_id, username, unit_id, report_id, detail FROM audit_log ORDER BY seq"
        ).fetchall()
    return [(int(r[0]), AuditEntry(*r[1:])) for r in found]


def _rewrite_as_insider(
    db_path: Path, entries: list[tuple[int, AuditEntry]], guessed_key: bytes | None
) -> None:
    """Replace the whole log with `entries`, every link recomputed the only ways an insider can:
    the old unkeyed digest, or a keyed one under a key they made up (the real one is not in
    the database)."""
    with sqlite3.connect(db_path) as raw:
        raw.execute("DROP TRIGGER audit_log_no_update")
        raw.execute("DROP TRIGGER audit_log_no_delete")
        raw.execute("DELETE FROM audit_log")
        previous = audit_store.GENESIS
        for seq, entry in entries:
            encoded = audit.encode_entry(seq, entry)
            if guessed_key is None:
                new = envelope.chain_digest(previous, encoded)
            else:
                new = envelope.keyed_chain_digest(guessed_key, previous, encoded)
            raw.execute(
                "INSERT INTO audit_log (seq, at, action, staff_id, username, unit_id, report_id, detail,"
                " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    seq,
                    entry.at,
                    entry.action,
                    entry.staff_id,
                    entry.username,
                    entry.unit_id,
                    entry.report_id,
                    entry.detail,
                    previous,
                    new,
                ),
            )
            previous = new


def _edited(entries: list[tuple[int, AuditEntry]]) -> list[tuple[int, AuditEntry]]:
    seq, e = entries[2]
    forged = AuditEntry(e.at, e.action, e.staff_id, e.username, e.unit_id, e.report_id, "forged")
    return [*entries[:2], (seq, forged), *entries[3:]]


def _deleted(entries: list[tuple[int, AuditEntry]]) -> list[tuple[int, AuditEntry]]:
    """Entry 4 removed and the rest renumbered, so there is no gap to see."""
    kept = entries[:3] + entries[4:]
    return [(i + 1, e) for i, (_, e) in enumerate(kept)]


def _truncated(entries: list[tuple[int, AuditEntry]]) -> list[tuple[int, AuditEntry]]:
    return entries[:-3]


@pytest.mark.parametrize("attack", [_edited, _deleted, _truncated])
@pytest.mark.parametrize("guessed_key", [None, bytes(32), b"k" * 32])
async def test_each_rewrite_after_a_checkpoint_is_caught(
    workspace: Workspace, attack: object, guessed_key: bytes | None
) -> None:
    await _journey(workspace)
    data_dir = str(workspace.settings.data_dir)
    made = run_cli("audit", "checkpoint", "--data-dir", data_dir)
    assert made.returncode == 0, made.stderr
    cp_file = workspace.settings.data_dir.parent / "witness-checkpoint.txt"
    cp_file.write_text(made.stdout)
    assert run_cli("audit", "verify", "--data-dir", data_dir, "--checkpoint", str(cp_file)).returncode == 0

    entries = _rows(workspace.settings.database_path)
    assert callable(attack)
    _rewrite_as_insider(workspace.settings.database_path, attack(entries), guessed_key)

    bad = run_cli("audit", "verify", "--data-dir", data_dir, "--checkpoint", str(cp_file))
    assert bad.returncode == 1, bad.stdout
    assert "Audit log BROKEN at entry 1:" in bad.stdout  # the very first recomputed link fails


async def test_truncation_alone_is_caught_only_with_the_checkpoint(workspace: Workspace) -> None:
    """Cutting off the newest entries leaves a chain that links up; the witness's copy shows it."""
    await _journey(workspace)
    db = workspace.services.db
    cp = await audit.checkpoint(db)
    with sqlite3.connect(workspace.settings.database_path) as raw:
        raw.execute("DROP TRIGGER audit_log_no_delete")
        raw.execute("DELETE FROM audit_log WHERE seq > ?", (cp.seq - 2,))
    assert (await audit.verify(db)).ok
    result = await audit.verify_against(db, cp)
    assert (result.broken_seq, result.problem) == (
        cp.seq - 1,
        "is missing: the log was cut short before the checkpoint",
    )


async def test_a_checkpoint_signed_by_another_key_is_refused(workspace: Workspace) -> None:
    await _journey(workspace)
    db = workspace.services.db
    cp = await audit.checkpoint(db)
    other = envelope.signing_pair_from_seed(b"x" * 32)
    forged = audit.Checkpoint(cp.seq, cp.hash, envelope.sign(other, b"anything"), other.public)
    with pytest.raises(audit.CheckpointError, match="not this service's"):
        await audit.verify_against(db, forged)
    round_trip = audit.parse_checkpoint(cp.to_text())
    assert round_trip == cp
    assert (await audit.verify_against(db, round_trip)).ok
    # A witness can check it with the public key alone.
    message = audit.CHECKPOINT_PURPOSE + b"\x00" + cp.seq.to_bytes(8, "big") + cp.hash
    assert envelope.signature_valid(cp.public_key, message, cp.signature)


async def test_the_database_alone_cannot_rebuild_the_chain(workspace: Workspace) -> None:
    """The key lives beside the database, 0600, never in it: the file holds neither the seed
    nor any key made from it, and an unkeyed rebuild fails even without a checkpoint."""
    await _journey(workspace)
    settings = workspace.settings
    seed = settings.audit_key_path.read_bytes()
    assert settings.audit_key_path.stat().st_mode & 0o777 == 0o600
    assert workspace.services.db.audit_seed == seed
    await workspace.services.db.checkpoint()
    stored = b"".join(p.read_bytes() for p in settings.data_dir.glob("tipdrop.sqlite3*"))
    for secret in (seed, envelope.derive_key(seed, audit.CHAIN_PURPOSE)):
        assert secret not in stored
    _rewrite_as_insider(settings.database_path, _rows(settings.database_path), None)
    result = await audit.verify(workspace.services.db)
    assert (result.broken_seq, result.problem) == (1, "has been altered")


async def _legacy_database(settings: Settings, count: int) -> None:
    """A database whose chain was written before the key existed (no audit.key beside it)."""
    settings.data_dir.mkdir(mode=0o700)
    db = await open_database(settings.database_path)
    try:
        assert db.audit_seed is None
        for n in range(count):
            await audit.record(
                db, audit.pending("sign_out", username=f"user{n}", clock=lambda: "2025-01-01T00:00:00+00:00")
            )
        assert (await audit.verify(db)).keyed is False
    finally:
        await db.close()


async def test_an_old_chain_is_rekeyed_once_from_the_genesis(settings: Settings) -> None:
    await _legacy_database(settings, 5)
    db = await open_database(settings.database_path)
    try:
        old_head = (await audit.verify(db)).head
        done = await audit.start_keyed_chain(db, settings.audit_key_path, "2026-12-03")
        assert done is not None and (done.entries, done.old_head) == (5, old_head)
        result = await audit.verify(db)
        assert result.ok and result.keyed and result.entries == 6
        last = (await audit_store.entries(db, 5, 1))[0].entry
        assert last.action == "audit_rekeyed"
        assert last.detail == f"rekeyed-on=2026-12-03 entries-before=5 old-head={old_head.hex()}"
        # Appends after it are keyed too.
        await audit.record(db, audit.pending("sign_out", username="later"))
        assert (await audit.verify(db)).ok
    finally:
        await db.close()
    again = run_cli("audit", "rekey", "--data-dir", str(settings.data_dir), cheap=False)
    assert again.returncode != 0 and "already keyed" in again.stderr


async def test_a_broken_old_chain_is_not_blessed(settings: Settings) -> None:
    await _legacy_database(settings, 4)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DROP TRIGGER audit_log_no_update")
        raw.execute("UPDATE audit_log SET detail = 'edited' WHERE seq = 2")
    done = run_cli("audit", "rekey", "--data-dir", str(settings.data_dir), cheap=False)
    assert done.returncode != 0
    assert "broken at entry 2" in done.stderr


async def test_listing_the_inbox_is_audited_without_content(workspace: Workspace) -> None:
    from tests.investigator.conftest import submit

    _, first = await submit(workspace, what_happened="INBOXMARKER one")
    _, second = await submit(workspace, what_happened="INBOXMARKER two")
    alice = await workspace.signed_in("alice", "kent-police")
    await alice.get("/inbox?outcome=new")
    rows = await audit_store.entries(workspace.services.db)
    viewed = [r.entry for r in rows if r.entry.action == "inbox_viewed"]
    assert viewed, [r.entry.action for r in rows]
    last = viewed[-1]
    assert last.username == "alice" and last.unit_id == "kent-police"
    # Two reports of the same day: their order is their random row keys' (migration 0006).
    assert last.detail in {
        f"page=first filters=outcome=new shown={second},{first}",
        f"page=first filters=outcome=new shown={first},{second}",
    }
    assert all("INBOXMARKER" not in repr(r.entry) for r in rows)


async def test_the_server_never_makes_an_audit_key_at_start_and_rekey_keys_an_old_chain_once(
    tmp_path: Path,
) -> None:
    """A start without audit.key refuses and names the recovery (insider review S5: a deleted
    key and a chain rewritten without it were re-keyed and called intact). `audit rekey` keys
    a chain from before the key once, and refuses a chain that was keyed before."""
    from dropbox_server.cli.audit import _rekey
    from dropbox_server.cli.prompts import CliError
    from dropbox_server.custody import certify
    from dropbox_server.custody.provision import init_data_dir
    from dropbox_server.datadir import DataDirError
    from dropbox_server.services import open_services
    from tests.conftest import CHEAP_KDF, TEST_SHARES

    settings = Settings.for_data_dir(tmp_path / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)
    await init_data_dir(settings, TEST_SHARES)
    # Make it look like a directory from before the key: no key file, no pin, an unkeyed chain.
    settings.audit_key_path.unlink()
    (settings.data_dir / certify.PIN_NAME).unlink()
    db = await open_database(settings.database_path)
    try:
        for n in range(3):
            await audit.record(db, audit.pending("sign_out", username=f"user{n}"))
    finally:
        await db.close()
    with pytest.raises(DataDirError, match="audit rekey"):
        async with open_services(settings):
            pass
    assert not settings.audit_key_path.exists()
    assert await _rekey(settings) is not None
    assert settings.audit_key_path.stat().st_mode & 0o777 == 0o600
    async with open_services(settings) as services:
        result = await audit.verify(services.db)
        assert result.ok and result.keyed and result.entries == 4

    settings.audit_key_path.unlink()
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DROP TRIGGER audit_log_no_update")
        raw.execute("UPDATE audit_log SET detail = 'x' WHERE seq = 2")
    with pytest.raises(DataDirError, match="keys restore"):
        async with open_services(settings):
            pass
    with pytest.raises(CliError, match="was keyed"):
        await _rekey(settings)
    assert not settings.audit_key_path.exists()
