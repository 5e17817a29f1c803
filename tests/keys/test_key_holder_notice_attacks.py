"""The "new key holder" notices (F10 fix, issue 18) under a database writer (attacker b).

The writer holds the database (SQL, a restored copy, a replica) but neither audit.key nor
the pepper nor custodian shares. Findings (a passing test is a FINDING) are marked ATTACK
SUCCEEDS; `test_defence_*` asserts a defence that holds.
"""

from __future__ import annotations

import sqlite3

from dropbox_server import audit
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import enrolment, keyring, staff_changes
from dropbox_server.health import Check, database_checks
from dropbox_server.services import open_services
from dropbox_server.store import StaffRow
from dropbox_server.store import audit as audit_store
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store
from dropbox_server.web.appkeys import Services
from tests.conftest import enrol_member, init_test_data_dir, invite_and_redeem, unlock_custodian

PW = {"alice": "alice password quartz lantern", "bob": "bob password walnut cathedral",
      "carl": "carl password meadow lighthouse", "erin": "erin password copper windmill",
      "dave": "dave password harbour chestnut", "fay": "fay password orchard compass"}


async def _enrol(services: Services, name: str, unit: str = "kent-police") -> None:
    await enrol_member(services.db, username=name, unit_id=unit, role="investigator", password=PW[name])


async def _member(services: Services, name: str) -> StaffRow:
    row = await staff_store.get_staff_by_username(services.db, name)
    assert row is not None
    return row


def _checks(settings: Settings) -> dict[str, Check]:
    return {c.name: c for c in database_checks(settings, today())}


async def _approve_by(services: Services, approver: str, newcomer: str, unit: str = "kent-police") -> None:
    """`newcomer` redeems a code and `approver` (a key holder of the unit) approves them."""
    done, _ = await invite_and_redeem(services.db, username=newcomer, unit_id=unit, role="investigator",
                                      password=PW[newcomer])
    assert done.needs_approval and not done.first_key_holder
    row = await _member(services, approver)
    keys = await keyring.unit_private_keys_from_custodian(services.db, unit, await unlock_custodian(services.db))
    await enrolment.approve(services.db, keyring.UnlockedStaff(row, b"", keys), newcomer, done.fingerprint, today())


def _raw(settings: Settings) -> sqlite3.Connection:
    return sqlite3.connect(settings.database_path, isolation_level=None)


async def test_cutting_the_tail_of_the_chain_after_an_approval_turns_health_red(settings: Settings) -> None:
    """Regression (insider finding N1, was "attack succeeds"). The approval appends the notice
    entry LAST; a writer who deletes the tail of audit_log (dropping the append-only triggers)
    leaves a chain that still links. The checkpoint now kept beside the database after every
    `key_holder_added` entry makes the audit chain check fail, whether the log is left short
    or carries on from the cut."""
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await _enrol(services, "alice")
        await _enrol(services, "bob")
        alice = await _member(services, "alice")
        (old,) = await enrolment.open_notices(services.db, alice)  # bob's arrival
        assert await enrolment.acknowledge(services.db, alice, old.id)
        # A corrupt member (bob) approves an accomplice (carl); alice and bob are told.
        await _approve_by(services, "bob", "carl")
        (told,) = await enrolment.open_notices(services.db, alice)
        assert told.key_holder == "carl"
    checks = _checks(settings)
    assert all(c.ok for n, c in checks.items() if n in ("audit chain", "key notices"))
    seq = int(told.id[1:])
    assert checks["audit chain"].facts["checkpoint"] >= seq  # kept without any operator
    with _raw(settings) as raw:
        raw.execute("DROP TRIGGER audit_log_no_delete")
        raw.execute("DELETE FROM audit_log WHERE seq >= ?", (seq,))  # the notice is the newest entry
        raw.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
    cut = _checks(settings)["audit chain"]
    assert not cut.ok and "cut short" in cut.summary
    async with open_services(settings) as services:
        # Later entries link on from the cut: the checkpoint's entry differs now.
        await audit.record(services.db, audit.pending("inbox_viewed", staff=alice))
    carried_on = _checks(settings)["audit chain"]
    assert not carried_on.ok, carried_on


async def test_a_member_taken_off_the_unit_for_the_approval_is_told_all_the_same(
    settings: Settings,
) -> None:
    """Regression (insider finding N2, was "attack succeeds"). "told" was read from the staff
    table inside the approving transaction; a writer who set an honest member's role (or unit)
    to a non key-holding one just for the approval kept her from ever being told. Who is told
    is now decided when read, from the keyed chain: every key-holding member of the unit sees
    each entry after her own joining entry."""
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await _enrol(services, "alice")
        await _enrol(services, "bob")
        alice = await _member(services, "alice")
        (old,) = await enrolment.open_notices(services.db, alice)
        assert await enrolment.acknowledge(services.db, alice, old.id)
    with _raw(settings) as raw:
        raw.execute("UPDATE staff SET role = 'call_handler' WHERE id = ?", (alice.id,))
    async with open_services(settings) as services:
        await _approve_by(services, "bob", "carl")  # bob, corrupt, approves carl
    with _raw(settings) as raw:
        raw.execute("UPDATE staff SET role = 'investigator' WHERE id = ?", (alice.id,))
    with _raw(settings) as raw:  # the unit, too, for a second approval
        raw.execute("UPDATE staff SET unit_id = 'essex-police' WHERE id = ?", (alice.id,))
    async with open_services(settings) as services:
        await _approve_by(services, "bob", "erin")
    with _raw(settings) as raw:
        raw.execute("UPDATE staff SET unit_id = 'kent-police' WHERE id = ?", (alice.id,))
    async with open_services(settings) as services:
        alice = await _member(services, "alice")
        assert [n.key_holder for n in await enrolment.open_notices(services.db, alice)] == ["carl", "erin"]
        holders = {m.username for m in await key_store.members_with_unit_keys(services.db, "kent-police")}
        assert holders == {"alice", "bob", "carl", "erin"}
        # Those who joined later are told only of what came after their own joining entry.
        assert [n.key_holder for n in await enrolment.open_notices(services.db, await _member(services, "carl"))] \
            == ["erin"]
        assert await enrolment.open_notices(services.db, await _member(services, "erin")) == []


async def test_defence_an_acknowledgement_does_not_carry_to_another_member_entry_or_unit(
    settings: Settings,
) -> None:
    """Alice's genuine MAC row copied to bob (same entry), to another entry of her own, and to
    an entry of another unit: none is honoured and health counts each."""
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await _enrol(services, "alice")
        await _enrol(services, "bob")
        await _enrol(services, "carl")  # alice and bob are told of carl
        await _enrol(services, "erin", unit="essex-police")
        alice, bob = await _member(services, "alice"), await _member(services, "bob")
        a_notices = await enrolment.open_notices(services.db, alice)
        (b_notice,) = await enrolment.open_notices(services.db, bob)
        assert [n.key_holder for n in a_notices] == ["bob", "carl"]
        assert await enrolment.acknowledge(services.db, alice, a_notices[1].id)  # carl's
    carl_seq, bob_seq = int(a_notices[1].id[1:]), int(a_notices[0].id[1:])
    with _raw(settings) as raw:
        (mac,) = raw.execute("SELECT mac FROM key_holder_acks WHERE staff_id = ?", (alice.id,)).fetchone()
        raw.execute("INSERT INTO key_holder_acks VALUES (?, ?, ?)", (bob.id, carl_seq, mac))  # other member
        raw.execute("INSERT INTO key_holder_acks VALUES (?, ?, ?)", (alice.id, bob_seq, mac))  # other entry
    async with open_services(settings) as services:
        assert [n.id for n in await enrolment.open_notices(services.db, bob)] == [b_notice.id]
        assert [n.key_holder for n in await enrolment.open_notices(services.db, alice)] == ["bob"]
        # erin (another unit) cannot acknowledge kent's notice: it is not hers to mark.
        erin = await _member(services, "erin")
        assert not await enrolment.acknowledge(services.db, erin, a_notices[0].id)
    check = _checks(settings)["key notices"]
    assert not check.ok and check.facts["forged"] == 2


async def test_defence_without_audit_key_every_notice_shows_and_a_moved_member_still_sees_hers(
    settings: Settings,
) -> None:
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await _enrol(services, "alice")
        await _enrol(services, "bob")
        alice = await _member(services, "alice")
        (notice,) = await enrolment.open_notices(services.db, alice)
        assert await enrolment.acknowledge(services.db, alice, notice.id)
        assert await enrolment.open_notices(services.db, alice) == []
    with _raw(settings) as raw:  # alice moved to another unit by SQL: her own entry still names her
        raw.execute("UPDATE key_holder_acks SET mac = zeroblob(32)")
        raw.execute("UPDATE staff SET unit_id = 'essex-police' WHERE id = ?", (alice.id,))
    async with open_services(settings) as services:
        assert [n.id for n in await enrolment.open_notices(services.db, await _member(services, "alice"))] \
            == [notice.id]
    settings.audit_key_path.rename(settings.audit_key_path.with_suffix(".gone"))
    checks = _checks(settings)
    assert not checks["key notices"].ok and not checks["audit chain"].ok


async def test_one_inserted_row_is_a_shown_notice_and_a_failed_check_never_an_exception(
    settings: Settings,
) -> None:
    """Regression (insider finding N5, was "attack succeeds"). open_notices parsed "told" with
    `str.isdigit`, which takes "²" and int() refuses: one INSERTed key_holder_added row made the
    lookup raise for every member (every sign-in calls it). A TEXT MAC in key_holder_acks made
    the health checks raise. Now: ASCII digits only, types checked; the odd entry (no unit, no
    link) is shown to every member, and each odd row fails its health check."""
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await _enrol(services, "alice")
        await _enrol(services, "bob")
        alice = await _member(services, "alice")
        (notice,) = await enrolment.open_notices(services.db, alice)
        assert await enrolment.acknowledge(services.db, alice, notice.id)
    with _raw(settings) as raw:
        (last,) = raw.execute("SELECT max(seq) FROM audit_log").fetchone()
        raw.execute("INSERT INTO audit_log (seq, at, action, detail, prev_hash, hash) "
                    "VALUES (?, '2026-12-03', 'key_holder_added', 'told=\u00b2', x'00', x'00')", (last + 1,))
        raw.execute("INSERT INTO audit_log (seq, at, action, detail, prev_hash, hash) "
                    "VALUES (?, '2026-12-03', 'key_holder_added', x'0102', 'text', 7)", (last + 2,))
    async with open_services(settings) as services:
        shown = await enrolment.open_notices(services.db, alice)
        assert [n.id for n in shown] == [f"e{last + 1}", f"e{last + 2}"]
        assert {n.unit_id for n in shown} == {"?"}
        assert not await enrolment.acknowledge(services.db, alice, shown[0].id)  # not one that links
    with _raw(settings) as raw:
        raw.execute("INSERT INTO key_holder_acks VALUES (?, 1, 'not a blob')", (alice.id,))
        raw.execute("INSERT INTO key_holder_acks VALUES ('x', 2, x'00')")
    checks = _checks(settings)
    assert not checks["audit chain"].ok
    assert not checks["key notices"].ok and checks["key notices"].facts["forged"] == 2, checks["key notices"]
    async with open_services(settings) as services:  # the odd ack rows are no acknowledgement either
        assert len(await enrolment.open_notices(services.db, alice)) == 2


async def test_a_notice_entry_relabelled_or_deleted_mid_chain_makes_the_notices_untrusted_for_all(
    settings: Settings,
) -> None:
    """Regression (insider finding N6, was "attack succeeds"). Notices are found by action: an
    entry whose action a writer changes (or that is deleted) is no notice for its members, and
    only the audit chain check on /health went red. Now, while the chain is broken, every
    member (of every unit) is told at sign-in that the notices cannot be trusted
    (tests/investigator/test_key_holder_notice_banner.py shows the page)."""
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await _enrol(services, "alice")
        await _enrol(services, "bob")
        await _enrol(services, "erin", unit="essex-police")
        alice = await _member(services, "alice")
        (notice,) = await enrolment.open_notices(services.db, alice)
        await audit.record(services.db, audit.pending("inbox_viewed", staff=alice))  # not the newest any more
        assert await enrolment.notices_trusted(services.db)
    with _raw(settings) as raw:
        raw.execute("DROP TRIGGER audit_log_no_update")
        raw.execute("UPDATE audit_log SET action = 'inbox_viewed' WHERE seq = ?", (int(notice.id[1:]),))
    async with open_services(settings) as services:
        assert await enrolment.open_notices(services.db, alice) == []  # the entry itself is gone as a notice
        assert not await enrolment.notices_trusted(services.db)  # so every member is warned
    checks = _checks(settings)
    assert not checks["audit chain"].ok and checks["key notices"].ok
    with _raw(settings) as raw:  # deleted instead: the same
        raw.execute("UPDATE audit_log SET action = 'key_holder_added' WHERE seq = ?", (int(notice.id[1:]),))
    async with open_services(settings) as services:
        assert await enrolment.notices_trusted(services.db)
    with _raw(settings) as raw:
        raw.execute("DROP TRIGGER audit_log_no_delete")
        raw.execute("DELETE FROM audit_log WHERE seq = ?", (int(notice.id[1:]),))
    async with open_services(settings) as services:
        assert not await enrolment.notices_trusted(services.db)


async def test_a_member_moved_in_is_told_what_came_after_her_move_and_keeps_what_she_was_told(
    settings: Settings,
) -> None:
    """N2, read-time rule: a move is a joining entry. Bob, moved from kent to essex, is not shown
    essex's arrivals from before his move, is shown those after it, and keeps kent's notice he
    was told of (the stored list adds, never removes)."""
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await _enrol(services, "alice")
        await _enrol(services, "bob")
        await _enrol(services, "erin", unit="essex-police")
        await _approve_by(services, "alice", "carl")  # kent: alice and bob are told
        await _approve_by(services, "erin", "dave", unit="essex-police")  # before bob's move
        await staff_changes.move_staff(services.db, "bob", "essex-police", await unlock_custodian(services.db),
                                       today())
        kept = audit.parse_checkpoint((settings.data_dir / audit.CHECKPOINT_NAME).read_text("utf-8"))
        (moved_in,) = [r for r in await audit_store.with_action(services.db, "key_holder_added")
                       if "holder=bob " in str(r.entry.detail) and r.entry.unit_id == "essex-police"]
        assert kept.seq >= moved_in.seq  # the move's notice entry is covered too (N1)
        await _approve_by(services, "erin", "fay", unit="essex-police")  # after it
        bob = await _member(services, "bob")
        assert [n.key_holder for n in await enrolment.open_notices(services.db, bob)] == ["carl", "fay"]
        erin = await _member(services, "erin")
        assert [n.key_holder for n in await enrolment.open_notices(services.db, erin)] == ["dave", "bob", "fay"]


async def test_the_kept_checkpoint_moves_forward_only_and_an_unreadable_one_is_left_for_health(
    settings: Settings,
) -> None:
    """N1: each approval moves the kept checkpoint to the new head; a file the server cannot
    read (or one ahead of the log) is never replaced, so the health check keeps reporting it."""
    await init_test_data_dir(settings)
    path = settings.data_dir / audit.CHECKPOINT_NAME
    async with open_services(settings) as services:
        await _enrol(services, "alice")
        await _enrol(services, "bob")
        first = audit.parse_checkpoint(path.read_text("utf-8"))
        await _approve_by(services, "bob", "carl")
        second = audit.parse_checkpoint(path.read_text("utf-8"))
        assert second.seq > first.seq
        path.write_text("not a checkpoint\n", "utf-8")
        await _approve_by(services, "alice", "erin")
        assert path.read_text("utf-8") == "not a checkpoint\n"
    assert not _checks(settings)["audit chain"].ok
