"""Package use cases: drafts saved and edited, rejection with a reason, two people, passing
on, and contact details only with the reporter's consent."""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server.clock import today
from dropbox_server.custody import keyring
from dropbox_server.reports import packages
from dropbox_server.reports.access import CaseNotFound, load_case
from dropbox_server.reports.case_file import open_case
from dropbox_server.reports.content import ContactDetails, ReportContent
from dropbox_server.reports.desk_panel import desk_panel
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.reports.submission import submit_report
from dropbox_server.reports.transfer import TransferRequest, transfer_report
from dropbox_server.services import Services
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from tests.conftest import enrol_member
from tests.desk.flow import PACKAGE
from tests.desk.insider import reviewed


async def member(services: Services, username: str, unit: str, role: str) -> keyring.UnlockedStaff:
    db = services.db
    # A second key holder of a unit is approved by a current member (custody/enrolment.py).
    await enrol_member(db, username=username, unit_id=unit, role=role, password="pw-long-enough-1")
    row = await staff_store.get_staff_by_username(db, username)
    assert row is not None
    return await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, "pw-long-enough-1"))


async def desk_report(services: Services, contact: ContactDetails | None = None) -> str:
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="the reporter's words")
    receipt = await submit_report(services.db, services.receipts, content, contact, "online", today())
    # Found by its receipt: report keys are random (0006), so "the highest seq" is any report.
    access = await open_with_receipt(services.db, services.receipts, receipt)
    assert access is not None
    return access.report_id


async def test_reject_edit_resubmit_and_a_second_supervisor(services: Services) -> None:
    db = services.db
    source = await desk_report(services)
    sam = await member(services, "sam", "desk", "desk_supervisor")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    draft = await packages.create_draft(db, sam, source, "kent-police", PACKAGE, False, today())
    with pytest.raises(packages.PackageError) as refused:
        await packages.approve_draft(
            db, sue, draft, set(packages.CHECKLIST), await reviewed(db, draft), today()
        )
    assert refused.value.code == "not_submitted"  # a draft is not approved before submission
    await packages.submit_draft(db, sam, draft, today())
    with pytest.raises(packages.PackageError) as refused:
        await packages.approve_draft(
            db, sam, draft, set(packages.CHECKLIST), await reviewed(db, draft), today()
        )
    assert refused.value.code == "own_draft"  # a supervisor cannot approve their own
    with pytest.raises(packages.PackageError):
        await packages.edit_draft(db, sam, draft, PACKAGE, False, today())  # submitted: locked
    await packages.reject_draft(db, sue, draft, "Too precise about the day.", today())
    opened = await packages.open_draft(db, sam, draft)
    assert opened.draft.state == "draft" and opened.rejection == "Too precise about the day."
    await packages.edit_draft(db, sam, draft, {**PACKAGE, "when": "this year"}, False, today())
    with pytest.raises(packages.PackageError):
        await packages.edit_draft(db, sue, draft, PACKAGE, False, today())  # only the author edits
    await packages.submit_draft(db, sam, draft, today())
    with pytest.raises(packages.PackageError) as refused:
        await packages.approve_draft(db, sue, draft, {"dates", "places"}, await reviewed(db, draft), today())
    assert refused.value.code == "checklist"
    package_id = await packages.approve_draft(
        db, sue, draft, set(packages.CHECKLIST), await reviewed(db, draft), today()
    )
    package = await report_store.get_report(db, package_id)
    assert package is not None and package.unit_id == "kent-police" and package.is_package
    assert package.reporter_public_key is None

    # The schema refuses an approval by the author even written directly.
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.execute("UPDATE package_drafts SET state = 'submitted' WHERE id = ?", (draft,))
            await tx.execute(
                "UPDATE package_drafts SET state = 'approved', approver_staff_id = author_staff_id WHERE id = ?",
                (draft,),
            )


async def test_passing_a_package_on_reseals_it_and_the_desk_sees_it_move(services: Services) -> None:
    db = services.db
    source = await desk_report(services, ContactDetails("Zqcontact", "evenings", "investigating_force"))
    ann = await member(services, "ann", "desk", "desk_analyst")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    kim = await member(services, "kim", "kent-police", "investigator")
    eve = await member(services, "eve", "essex-police", "investigator")
    draft = await packages.create_draft(db, ann, source, "kent-police", PACKAGE, True, today())
    await packages.submit_draft(db, ann, draft, today())
    package_id = await packages.approve_draft(
        db, sue, draft, set(packages.CHECKLIST), await reviewed(db, draft), today()
    )

    at_kent = await open_case(db, kim, package_id)
    assert at_kent.opened.contact is not None and at_kent.opened.contact.how == "Zqcontact"
    assert at_kent.opened.package is not None and at_kent.opened.package.summary == PACKAGE["summary"]
    with pytest.raises(CaseNotFound):
        await load_case(db, kim, source)  # the reporter's own report never reaches the force

    package = await report_store.get_report(db, package_id)
    assert package is not None
    request = TransferRequest(package_id, "essex-police", "Their officer.", False, package.outcome)
    await transfer_report(db, kim, request, today())
    with pytest.raises(CaseNotFound):
        await load_case(db, kim, package_id)
    at_essex = await open_case(db, eve, package_id)
    assert at_essex.opened.package is not None
    panel = await desk_panel(db, ann, await load_case(db, ann, source))
    assert panel.delivered == ((package_id, "essex-police"),)


async def test_contact_details_only_with_consent(services: Services) -> None:
    db = services.db
    source = await desk_report(services, ContactDetails("Zqcontact", "evenings", "unit"))
    ann = await member(services, "ann", "desk", "desk_analyst")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    kim = await member(services, "kim", "kent-police", "investigator")
    draft = await packages.create_draft(db, ann, source, "kent-police", PACKAGE, True, today())
    await packages.submit_draft(db, ann, draft, today())
    package_id = await packages.approve_draft(
        db, sue, draft, set(packages.CHECKLIST), await reviewed(db, draft), today()
    )
    assert (await open_case(db, kim, package_id)).opened.contact is None
