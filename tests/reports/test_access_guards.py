"""Every access rule of the case and reporter use cases, each broken alone, at the use-case level.

Each refusal test sets up a caller for whom every other condition holds, so deleting or
inverting the one rule under test lets the call through and the test fails. Real SQLite,
real keys (cheap argon2id), no HTTP.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import FileLimits
from dropbox_server.custody import certify, keyring
from dropbox_server.custody.rotation import rotate_unit_key
from dropbox_server.files.upload import Recipients, UploadBatch
from dropbox_server.reports.access import (
    CaseNotFound,
    RoleNotAllowed,
    load_case,
    own_unit_keys,
    require_reader,
)
from dropbox_server.reports.case_actions import reply
from dropbox_server.reports.case_files import case_files, reply_recipients, reply_with_files
from dropbox_server.reports.casework import open_report
from dropbox_server.reports.content import ReportContent, item_context
from dropbox_server.reports.reporter_access import (
    ReporterAccess,
    open_with_receipt,
    reporter_follow_up,
    reporter_thread,
)
from dropbox_server.reports.submission import submit_report
from dropbox_server.store import NewItem, NewReport, units
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from dropbox_server.web.appkeys import Services
from receipt_codes import Receipt, derive_reporter_secrets, generate_receipt
from tests.conftest import CHEAP_KDF, enrol_member, unlock_custodian

KENT, ESSEX = "kent-police", "essex-police"


async def member(
    services: Services, username: str, unit: str, role: str = "investigator"
) -> keyring.UnlockedStaff:
    """A member of staff enrolled and signed in (keys unlocked) the way sign-in does it."""
    db = services.db
    password = f"pw-{username}-long-enough"
    await enrol_member(db, username=username, unit_id=unit, role=role, password=password)
    row = await staff_store.get_staff_by_username(db, username)
    assert row is not None
    return await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, password))


async def unit_keys(services: Services, unit: str) -> dict[int, bytes]:
    custodian = await unlock_custodian(services.db)
    return await keyring.unit_private_keys_from_custodian(services.db, unit, custodian)


async def submit(services: Services, force: str = KENT) -> tuple[Receipt, str]:
    content = ReportContent(force=force, conduct="corruption", what_happened="Took money to drop a case.")
    receipt = await submit_report(services.db, services.receipts, content, None, "online", today())
    access = await open_with_receipt(services.db, services.receipts, receipt)
    assert access is not None
    return receipt, access.report_id


async def insert_report(
    services: Services,
    *,
    unit_id: str,
    sealed_to: tuple[int, bytes],
    report_id: str,
    receipt: Receipt | None = None,
    reporter_public: bytes | None = None,
) -> None:
    """A report stored directly, to build states the use cases must refuse (a mis-sealed grant,
    a reporter key that does not match the receipt)."""
    key_id, unit_public = sealed_to
    pair = envelope.generate_keypair()
    secrets = derive_reporter_secrets(receipt or generate_receipt(), services.receipts.pepper, CHEAP_KDF)
    reporter = envelope.keypair_from_seed(secrets.key_seed)
    body, key, _ = envelope.seal_new_item(pair.public, b"{}", item_context(report_id, "report"))
    await report_store.insert_report(
        services.db,
        NewReport(
            id=report_id,
            unit_id=unit_id,
            channel="online",
            conduct="corruption",
            conflict=False,
            contact_scope="none",
            day=today(),
            lookup_id=secrets.lookup_id,
            reporter_public_key=reporter_public or reporter.public,
            report_public_key=pair.public,
            contact_public_key=None,
            unit_key_id=key_id,
            sealed_report_key=envelope.seal(unit_public, pair.private),
            sealed_contact_key=None,
            items=(NewItem(kind="report", ciphertext=body, key_for_unit=key),),
        ),
    )


async def current_key(services: Services, unit: str) -> tuple[int, bytes]:
    key = await units.current_unit_key(services.db, unit)
    assert key is not None
    return key.id, key.public_key


# --- reports/access.py --------------------------------------------------------------------


async def test_a_member_opens_their_units_report(services: Services) -> None:
    """The control: with every condition met, the case opens."""
    alice = await member(services, "alice", KENT)
    _, report_id = await submit(services)
    case = await load_case(services.db, alice, report_id)
    assert case.report.id == report_id and case.report.unit_id == KENT
    assert case.unit_keys == await unit_keys(services, KENT)
    assert "Took money" in (await open_report(services.db, case.report, case.unit_keys)).content.what_happened
    assert repr(case) == f"Case({report_id})" and case.report_key.hex() not in repr(case)


@pytest.mark.parametrize("role", ["investigator", "supervisor"])
async def test_roles_with_unit_keys_are_readers(services: Services, role: str) -> None:
    require_reader(await member(services, f"r-{role}", KENT, role))


async def test_role_without_unit_keys_is_refused_even_holding_the_keys(services: Services) -> None:
    """Role broken alone: a call handler given the unit's keys is still refused, before any lookup."""
    handler = await member(services, "handler", KENT, "call_handler")
    handler = replace(handler, unit_keys=await unit_keys(services, KENT))
    _, report_id = await submit(services)
    with pytest.raises(RoleNotAllowed) as err:
        await load_case(services.db, handler, report_id)
    assert err.value.args == ("call_handler",)
    with pytest.raises(RoleNotAllowed):
        await load_case(services.db, handler, "no-such-report")


@pytest.mark.parametrize("bad_id", ["../etc", "abc def", "a" * 33, "", "ab-cd"])
async def test_malformed_report_ids_are_not_found(services: Services, bad_id: str) -> None:
    alice = await member(services, "alice", KENT)
    key = await current_key(services, KENT)
    await insert_report(services, unit_id=KENT, sealed_to=key, report_id=bad_id or "x")
    with pytest.raises(CaseNotFound) as err:
        await load_case(services.db, alice, bad_id)
    assert err.value.args == (bad_id,)


async def test_the_longest_allowed_report_id_opens(services: Services) -> None:
    alice = await member(services, "alice", KENT)
    await insert_report(
        services, unit_id=KENT, sealed_to=await current_key(services, KENT), report_id="a" * 32
    )
    assert (await load_case(services.db, alice, "a" * 32)).report.id == "a" * 32


async def test_unknown_report_is_not_found(services: Services) -> None:
    alice = await member(services, "alice", KENT)
    with pytest.raises(CaseNotFound) as err:
        await load_case(services.db, alice, "nosuchreport")
    assert err.value.args == ("nosuchreport",)


async def test_a_grant_that_does_not_open_is_not_found(services: Services) -> None:
    """Key holding broken alone: the report names Kent's key, but its copy was sealed to another key."""
    alice = await member(services, "alice", KENT)
    key_id, _ = await current_key(services, KENT)
    await insert_report(
        services, unit_id=KENT, sealed_to=(key_id, envelope.generate_keypair().public), report_id="badgrant"
    )
    with pytest.raises(CaseNotFound) as err:
        await load_case(services.db, alice, "badgrant")
    assert err.value.args == ("badgrant",)


async def test_another_units_report_is_not_found_even_if_the_key_opens_it(services: Services) -> None:
    """Unit broken alone: an Essex report whose key is (wrongly) sealed to Kent's key."""
    alice = await member(services, "alice", KENT)
    await insert_report(
        services, unit_id=ESSEX, sealed_to=await current_key(services, KENT), report_id="misfiled"
    )
    with pytest.raises(CaseNotFound) as err:
        await load_case(services.db, alice, "misfiled")
    assert err.value.args == ("misfiled",)


async def test_another_units_keys_held_by_a_member_are_never_used(services: Services) -> None:
    """Key ring broken alone: a Kent member who somehow holds Essex's key does not get to use it."""
    alice = await member(services, "alice", KENT)
    kent, essex = await unit_keys(services, KENT), await unit_keys(services, ESSEX)
    alice = replace(alice, unit_keys={**alice.unit_keys, **essex})
    assert await own_unit_keys(services.db, alice) == kent


async def test_a_member_without_the_units_current_key_cannot_open(services: Services) -> None:
    """Key holding broken alone: Kent's new key was sealed to the custodian but not to alice."""
    alice = await member(services, "alice", KENT)
    custodian = await enrolment_store.custodian_public_key(services.db)
    assert custodian is not None
    pair = envelope.generate_keypair()
    await units.insert_unit_key(
        services.db, KENT, pair.public, today(), {None: envelope.seal(custodian, pair.private)},
        certify.unit_key_certifier(services.db, KENT, pair.public),
    )
    _, report_id = await submit(services)
    with pytest.raises(CaseNotFound):
        await load_case(services.db, alice, report_id)


async def test_a_key_rotated_after_sign_in_is_picked_up(services: Services) -> None:
    """The reload branch: a rotation sealed to alice after she signed in opens new reports."""
    alice = await member(services, "alice", KENT)
    before = set(alice.unit_keys)
    custodian = await unlock_custodian(services.db)
    rotation = await rotate_unit_key(services.db, KENT, custodian, today())
    _, report_id = await submit(services)
    case = await load_case(services.db, alice, report_id)
    assert rotation.new_key_id in case.unit_keys and rotation.new_key_id not in before
    assert set(case.unit_keys) == before | {rotation.new_key_id}
    assert case.unit_keys == await unit_keys(services, KENT)


async def test_a_case_action_goes_through_the_same_guard(services: Services) -> None:
    bob = await member(services, "bob", ESSEX)
    _, report_id = await submit(services)
    with pytest.raises(CaseNotFound):
        await reply(services.db, bob, report_id, "hello", 1000, today())


# --- reports/reporter_access.py -----------------------------------------------------------


async def test_the_right_receipt_opens_its_report_and_no_other(services: Services) -> None:
    receipt, report_id = await submit(services)
    _, other_id = await submit(services)
    access = await open_with_receipt(services.db, services.receipts, receipt)
    assert access is not None and access.report_id == report_id != other_id
    report = await report_store.get_report(services.db, report_id)
    assert report is not None and access.reporter_public_key == report.reporter_public_key
    assert envelope.public_key_of(access.private_key) == report.reporter_public_key
    assert repr(access) == "ReporterAccess(<redacted>)"


async def test_a_receipt_never_issued_opens_nothing(services: Services) -> None:
    await submit(services)
    assert await open_with_receipt(services.db, services.receipts, generate_receipt()) is None


async def test_a_matching_lookup_id_with_another_reporter_key_opens_nothing(services: Services) -> None:
    """Reporter key broken alone: the lookup id matches, the stored public key does not."""
    receipt = generate_receipt()
    await insert_report(
        services,
        unit_id=KENT,
        sealed_to=await current_key(services, KENT),
        report_id="swapped",
        receipt=receipt,
        reporter_public=envelope.generate_keypair().public,
    )
    assert await open_with_receipt(services.db, services.receipts, receipt) is None


async def test_the_reporter_sees_replies_and_only_that_they_sent_their_own(services: Services) -> None:
    alice = await member(services, "alice", KENT)
    receipt, report_id = await submit(services)
    await reply(services.db, alice, report_id, "Thank you, we are looking.", 1000, today())
    access = await open_with_receipt(services.db, services.receipts, receipt)
    assert access is not None
    await reporter_follow_up(services.db, access, "One more thing.", today())
    thread = await reporter_thread(services.db, access)
    assert thread is not None and thread.report.id == report_id
    assert [(e.kind, e.text) for e in thread.entries] == [
        ("sent", ""),
        ("reply", "Thank you, we are looking."),
        ("sent", ""),
    ]
    assert all(e.day == today() for e in thread.entries)


async def test_another_reporters_key_cannot_read_the_replies(services: Services) -> None:
    alice = await member(services, "alice", KENT)
    receipt, report_id = await submit(services)
    await reply(services.db, alice, report_id, "For the reporter only.", 1000, today())
    access = await open_with_receipt(services.db, services.receipts, receipt)
    assert access is not None
    stranger = replace(access, private_key=envelope.generate_keypair().private)
    # Nothing opens: the reply is listed as failed, with no text (a box that does not open
    # with the receipt key must not lock a reporter out of their own thread either).
    thread = await reporter_thread(services.db, stranger)
    assert thread is not None
    assert [(e.text, e.authenticity) for e in thread.entries if e.kind == "reply"] == [("", "failed")]


async def test_a_follow_up_is_readable_by_the_unit_not_by_the_reporter(services: Services) -> None:
    alice = await member(services, "alice", KENT)
    receipt, report_id = await submit(services)
    access = await open_with_receipt(services.db, services.receipts, receipt)
    assert access is not None
    await reporter_follow_up(services.db, access, "The officer's car was blue.", today())
    case = await load_case(services.db, alice, report_id)
    opened = await open_report(services.db, case.report, case.unit_keys)
    assert [m.text for m in opened.messages if m.kind == "reporter_message"] == [
        "The officer's car was blue."
    ]
    [item] = await report_store.items(services.db, case.report.seq, ("reporter_message",))
    assert item.key_for_reporter is None
    with pytest.raises(envelope.EnvelopeError):
        envelope.unseal(access.private_key, item.key_for_unit)


async def test_a_report_that_no_longer_exists_is_gone_for_the_reporter(services: Services) -> None:
    pair = envelope.generate_keypair()
    gone = ReporterAccess(report_id="gone", reporter_public_key=pair.public, private_key=pair.private)
    assert await reporter_thread(services.db, gone) is None
    with pytest.raises(LookupError, match=r"^report no longer exists$"):
        await reporter_follow_up(services.db, gone, "hello?", today())


async def attach(batch: UploadBatch, name: str, data: bytes) -> None:
    sink = await batch.begin(name, "application/octet-stream")
    await sink.write(data)
    await sink.finish()


async def test_reply_files_are_listed_for_the_reporter_and_follow_up_files_reach_the_unit(
    services: Services,
) -> None:
    db, disk = services.db, services.files
    alice = await member(services, "alice", KENT)
    receipt, report_id = await submit(services)
    await reply(db, alice, report_id, "Text only.", 1000, today())
    case = await load_case(db, alice, report_id)
    async with UploadBatch(disk, await reply_recipients(services.db, case), FileLimits()) as batch:
        await attach(batch, "answer.txt", b"fourteen bytes")
        await reply_with_files(db, alice, report_id, "See the file.", 1000, today(), batch)
    access = await open_with_receipt(db, services.receipts, receipt)
    assert access is not None
    thread = await reporter_thread(db, access, disk)
    assert thread is not None
    [text_only, with_file] = [e for e in thread.entries if e.kind == "reply"]
    assert text_only.text == "Text only." and text_only.files == ()
    assert with_file.text == "See the file."
    assert [(f.name, f.size) for f in with_file.files] == [("answer.txt", 14)]
    assert all(e.files == () for e in (await reporter_thread(db, access)).entries)  # type: ignore[union-attr]

    async with UploadBatch(disk, Recipients(report_id, case.report.report_public_key), FileLimits()) as batch:
        await attach(batch, "photo.bin", b"evidence")
        await reporter_follow_up(db, access, "A file for you.", today(), batch)
    [sent] = await report_store.items(db, case.report.seq, ("reporter_message",))
    files = await case_files(db, disk, alice, report_id)
    assert [(f.meta.name, f.meta.size) for f in files if f.row.item_id == sent.id] == [("photo.bin", 8)]


async def test_a_follow_up_with_an_empty_batch_is_stored_as_text(services: Services) -> None:
    receipt, report_id = await submit(services)
    access = await open_with_receipt(services.db, services.receipts, receipt)
    assert access is not None
    report = await report_store.get_report(services.db, report_id)
    assert report is not None
    async with UploadBatch(
        services.files, Recipients(report_id, report.report_public_key), FileLimits()
    ) as batch:
        await reporter_follow_up(services.db, access, "No files after all.", today(), batch)
    assert len(await report_store.items(services.db, report.seq, ("reporter_message",))) == 1
