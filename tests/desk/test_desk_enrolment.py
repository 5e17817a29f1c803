"""Desk members take part in two-person enrolment like a force's: each makes their own key with
an enrolment code; the desk's first key holder takes its keys from the custodian; every later analyst or supervisor waits until a current
desk key holder (a desk supervisor, here) approves them. A call handler at the desk, or a
member of a force, cannot approve a desk member; an approved member's id is never a removed
account's."""

from __future__ import annotations

import pytest

from dropbox_server.clock import today
from dropbox_server.custody import enrolment, keyring, redemption
from dropbox_server.custody.revocation import remove_staff
from dropbox_server.forces import DESK_ID
from dropbox_server.services import Services
from dropbox_server.store import staff as staff_store
from dropbox_server.store import units
from tests.conftest import enrol_member, invite_and_redeem, unlock_custodian

PASSWORD = "pw-long-enough-1"


async def _enrol(services: Services, username: str, unit: str, role: str) -> redemption.Redeemed:
    """As `keys add-investigator` and the newcomer's redemption do; nobody approves yet."""
    done, _ = await invite_and_redeem(services.db, username=username, unit_id=unit, role=role, password=PASSWORD)
    return done


async def _first(services: Services, username: str, unit: str, role: str) -> None:
    """A unit's first key holder: security staff approve with the custodian (K shares)."""
    done = await _enrol(services, username, unit, role)
    assert done.first_key_holder, "the desk's first key holder takes its keys from the custodian"
    custodian = await unlock_custodian(services.db)
    await enrolment.approve_first(services.db, custodian, username, done.fingerprint, today(), approved_by="officer")


async def _unlocked(services: Services, username: str) -> keyring.UnlockedStaff:
    row = await staff_store.get_staff_by_username(services.db, username)
    assert row is not None
    return await keyring.unlock_staff(services.db, row, keyring.unwrap_staff_key(row, PASSWORD))


async def test_a_desk_member_needs_a_second_person_and_a_desk_supervisor_approves(
    services: Services,
) -> None:
    db = services.db
    await _first(services, "sam", DESK_ID, keyring.DESK_SUPERVISOR)
    cal = await _enrol(services, "cal", DESK_ID, "call_handler")
    assert not cal.needs_approval, "a call handler holds no key: no approval needed"
    await enrol_member(db, username="kim", unit_id="kent-police", role="investigator", password=PASSWORD)

    ana = await _enrol(services, "ana", DESK_ID, keyring.DESK_ANALYST)
    assert ana.needs_approval and not ana.first_key_holder, "a second desk key holder must wait"
    assert await staff_store.get_staff_by_username(db, "ana") is None
    sue = await _enrol(services, "sue", DESK_ID, keyring.DESK_SUPERVISOR)
    assert sue.needs_approval, "a desk supervisor waits too"
    custodian = await unlock_custodian(db)
    with pytest.raises(enrolment.EnrolmentRefused):
        await enrolment.approve_first(db, custodian, "ana", ana.fingerprint, today(), approved_by="officer")

    # Nobody outside the desk's key holders may approve: not its call handler, not a force member.
    for outsider in ("cal", "kim"):
        row = await staff_store.get_staff_by_username(db, outsider)
        assert row is not None
        assert await enrolment.waiting(db, row, today()) == []
        with pytest.raises(enrolment.EnrolmentRefused):
            await enrolment.approve(db, keyring.UnlockedStaff(row, b"", {}), "ana", ana.fingerprint, today())
    assert await staff_store.get_staff_by_username(db, "ana") is None

    # A removed account's id is never given to the approved member.
    removed = await staff_store.get_staff_by_username(db, "kim")
    assert removed is not None
    await remove_staff(db, "kim", today(), force=True)

    sam = await _unlocked(services, "sam")
    assert [p.username for p in await enrolment.waiting(db, sam.staff, today())] == ["ana", "sue"]
    await enrolment.approve(db, sam, "ana", ana.fingerprint, today())
    analyst = await _unlocked(services, "ana")
    assert analyst.staff.role == keyring.DESK_ANALYST and analyst.staff.id > removed.id
    desk_keys = {k.id for k in await units.unit_keys(db, DESK_ID)}
    assert set(analyst.unit_keys) == desk_keys and analyst.unit_keys == sam.unit_keys

    # The approved analyst may in turn approve the waiting supervisor (any desk key holder).
    await enrolment.approve(db, analyst, "sue", sue.fingerprint, today())
    assert (await _unlocked(services, "sue")).unit_keys == sam.unit_keys
