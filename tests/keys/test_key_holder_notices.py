"""The "new key holder" notices (invariant 12) against a database writer (insider finding F10).

A writer holds the database but neither audit.key nor the pepper. Each notice must keep
showing until the member themselves acknowledges it: an acknowledgement set, forged, moved
or deleted by SQL does not hide one, and health says so.
"""

from __future__ import annotations

import sqlite3

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import enrolment
from dropbox_server.health import Check, database_checks
from dropbox_server.services import Services, open_services
from dropbox_server.store import StaffRow
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store.enrolments import KeyHolderNotice
from tests.conftest import enrol_member, init_test_data_dir


async def _unit_of_two(settings: Settings) -> None:
    await init_test_data_dir(settings)
    async with open_services(settings) as services:
        await enrol_member(services.db, username="alice", unit_id="kent-police", role="investigator",
                           password="alice password quartz lantern")
        await enrol_member(services.db, username="bob", unit_id="kent-police", role="investigator",
                           password="bob password walnut cathedral")


def _check(settings: Settings) -> dict[str, Check]:
    return {c.name: c for c in database_checks(settings, today())}


async def _alice(services: Services) -> StaffRow:
    alice = await staff_store.get_staff_by_username(services.db, "alice")
    assert alice is not None
    return alice


async def _acknowledged_by_alice(settings: Settings) -> tuple[StaffRow, KeyHolderNotice]:
    """A unit of two whose first member has acknowledged the notice about the second."""
    await _unit_of_two(settings)
    async with open_services(settings) as services:
        alice = await _alice(services)
        (notice,) = await enrolment.open_notices(services.db, alice)
        await enrolment.acknowledge(services.db, alice, notice.id)
    return alice, notice


async def test_the_new_key_holder_notices_are_plain_rows_a_writer_marks_read(settings: Settings) -> None:
    """F10 (insider review): the notice was a row a writer could mark acknowledged or delete.
    Failed on the old code (the notice was gone); now the notice comes from the audit chain."""
    await _unit_of_two(settings)
    async with open_services(settings) as services:
        alice = (await key_store.members_with_unit_keys(services.db, "kent-police"))[0]
        assert await enrolment.open_notices(services.db, alice)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("UPDATE key_holder_notices SET acknowledged = 1")
        raw.execute("DELETE FROM key_holder_notices")
    async with open_services(settings) as services:
        # The attack fails: alice is still told bob now holds her unit's key.
        shown = await enrolment.open_notices(services.db, alice)
        assert [(n.key_holder, n.approved_by) for n in shown] == [("bob", "alice")]


async def test_only_the_members_own_acknowledgement_hides_a_notice(settings: Settings) -> None:
    await _unit_of_two(settings)
    async with open_services(settings) as services:
        alice = await _alice(services)
        bob = await staff_store.get_staff_by_username(services.db, "bob")
        assert bob is not None
        (notice,) = await enrolment.open_notices(services.db, alice)
        assert await enrolment.open_notices(services.db, bob) == []  # not told of himself
        assert not await enrolment.acknowledge(services.db, bob, notice.id)  # not his to mark
        assert await enrolment.acknowledge(services.db, alice, notice.id)
        assert await enrolment.open_notices(services.db, alice) == []
    assert _check(settings)["key notices"].ok
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DELETE FROM key_holder_acks")
    async with open_services(settings) as services:
        # A deleted acknowledgement brings the notice back.
        assert [n.id for n in await enrolment.open_notices(services.db, alice)] == [notice.id]


async def test_a_forged_or_moved_acknowledgement_is_not_honoured_and_fails_health(settings: Settings) -> None:
    alice, notice = await _acknowledged_by_alice(settings)
    seq = int(notice.id[1:])
    with sqlite3.connect(settings.database_path) as raw:
        (mac,) = raw.execute("SELECT mac FROM key_holder_acks").fetchone()
        # Moved to another entry: alice's acknowledgement now names an entry it was not made for.
        raw.execute("UPDATE key_holder_acks SET audit_seq = ?", (seq - 1,))
        raw.execute("INSERT INTO key_holder_acks (staff_id, audit_seq, mac) VALUES (?, ?, ?)",
                    (alice.id, seq, bytes(32)))  # forged: no audit.key, no MAC
    async with open_services(settings) as services:
        assert [n.id for n in await enrolment.open_notices(services.db, alice)] == [notice.id]
    check = _check(settings)["key notices"]
    assert not check.ok and check.facts["forged"] == 2
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DELETE FROM key_holder_acks")
        raw.execute("INSERT INTO key_holder_acks (staff_id, audit_seq, mac) VALUES (?, ?, ?)",
                    (alice.id, seq, mac))
    async with open_services(settings) as services:
        assert await enrolment.open_notices(services.db, alice) == []  # put back exactly: honoured
    assert _check(settings)["key notices"].ok


async def test_an_edited_or_deleted_notice_entry_shows_and_fails_the_audit_check(settings: Settings) -> None:
    alice, notice = await _acknowledged_by_alice(settings)
    seq = int(notice.id[1:])
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DROP TRIGGER audit_log_no_update")
        raw.execute("DROP TRIGGER audit_log_no_delete")
        # Alice struck off the list of members told: the entry no longer links up.
        raw.execute("UPDATE audit_log SET detail = replace(detail, 'told=', 'told=999') WHERE seq = ?", (seq,))
    async with open_services(settings) as services:
        assert [n.id for n in await enrolment.open_notices(services.db, alice)] == [notice.id]
        assert not await enrolment.acknowledge(services.db, alice, notice.id)
    assert not _check(settings)["audit chain"].ok
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute("DELETE FROM audit_log WHERE seq = ?", (seq,))
    assert not _check(settings)["audit chain"].ok


async def test_a_notice_written_before_0018_still_shows_until_acknowledged(settings: Settings) -> None:
    await _unit_of_two(settings)
    async with open_services(settings) as services:
        alice = await _alice(services)
        (bound,) = await enrolment.open_notices(services.db, alice)
        await enrolment.acknowledge(services.db, alice, bound.id)
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute(
            "INSERT INTO key_holder_notices (staff_id, unit_id, key_holder, added_by, approved_by, day) "
            "VALUES (?, 'kent-police', 'zed', 'officer', 'alice', '2026-01-02')", (alice.id,)
        )
    async with open_services(settings) as services:
        (old,) = await enrolment.open_notices(services.db, alice)
        assert (old.id[0], old.key_holder) == ("r", "zed")
        assert await enrolment.acknowledge(services.db, alice, old.id)
        assert await enrolment.open_notices(services.db, alice) == []
