"""M4: passing a package to another force gives it a fresh key pair, so the first force's
copy of the package key opens nothing added afterwards.

An insider at Kent who kept the keys Kent's unit key reached in a database copy taken
before the hand-over must not read Essex's notes and questions added after it. Packages pass
on through the same transfer_report as reports (a new key pair, the old private key sealed
to the new one); the desk's grant is re-sealed to the new key, so the desk still reads the
package and the questions Essex sends it.
"""

from __future__ import annotations

from dropbox_server.clock import today
from dropbox_server.reports import case_actions, casework, inbox, packages, relay
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.reports.transfer import TransferRequest, transfer_report
from dropbox_server.services import Services
from dropbox_server.store import reports as report_store
from tests.desk.flow import PACKAGE
from tests.desk.insider import everything_opened, keys_reached, member, reviewed, unit_keys

AFTER = "Zqessex note: suspect is DC Bloggs"


async def test_the_first_force_reads_nothing_added_after_passing_a_package_on(services: Services) -> None:
    db = services.db
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="it happened")
    await submit_report(db, services.receipts, content, None, "online", today())
    ann = await member(services, "ann", "desk", "desk_analyst")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    kim = await member(services, "kim", "kent-police", "investigator")
    eve = await member(services, "eve", "essex-police", "investigator")
    (source,) = [r[0] for r in await db.fetch_all("SELECT id FROM reports")]
    draft = await packages.create_draft(db, ann, source, "kent-police", PACKAGE, False, today())
    await packages.submit_draft(db, ann, draft, today())
    package = await packages.approve_draft(
        db, sue, draft, set(packages.CHECKLIST), await reviewed(db, draft), today()
    )

    await relay.ask_desk(db, kim, package, "question", "Kent asks: which month?", 2000, today())
    kept = keys_reached(db.path, await unit_keys(services, "kent-police"))  # Kent's copy, before
    request = TransferRequest(package, "essex-police", "Their area.", False, "new")
    await transfer_report(db, kim, request, today())
    await case_actions.note(db, eve, package, AFTER, 2000, today())
    await relay.ask_desk(db, eve, package, "question", "Essex asks: which station?", 2000, today())

    assert AFTER.encode() not in b"\n".join(everything_opened(db.path, kept))
    # The desk's grant was re-sealed to the new key: it still reads the package, Essex's
    # note and both forces' questions (Kent's under the old key, Essex's under the new).
    row = await report_store.get_report(db, package)
    assert row is not None
    opened = await casework.open_report(db, row, ann.unit_keys)
    assert [(m.text, m.authenticity) for m in opened.messages] == [(AFTER, "verified")]
    asked = await relay.desk_requests(db, ann, await packages.desk_case(db, ann, source))
    both = ["Essex asks: which station?", "Kent asks: which month?"]  # relay ids are random: no order
    assert sorted(m.text for m in asked) == both
    # Essex reads Kent's question from before the hand-over too.
    assert sorted(m.text for m in await relay.package_messages(db, eve, package)) == both


async def test_an_update_approved_after_passing_on_reaches_the_new_force_whole(services: Services) -> None:
    """A package's later version is sealed to the key it has at approval (the new one): the
    receiving force's case page and inbox summary open it, walking the key chain as needed."""
    db = services.db
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="it happened")
    await submit_report(db, services.receipts, content, None, "online", today())
    ann = await member(services, "ann", "desk", "desk_analyst")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    kim = await member(services, "kim", "kent-police", "investigator")
    eve = await member(services, "eve", "essex-police", "investigator")
    (source,) = [r[0] for r in await db.fetch_all("SELECT id FROM reports")]
    draft = await packages.create_draft(db, ann, source, "kent-police", PACKAGE, False, today())
    await packages.submit_draft(db, ann, draft, today())
    package = await packages.approve_draft(
        db, sue, draft, set(packages.CHECKLIST), await reviewed(db, draft), today()
    )
    await transfer_report(db, kim, TransferRequest(package, "essex-police", "Their area.", False, "new"), today())

    later = {**PACKAGE, "summary": "Zqupdate the payment was made in spring."}
    update = await packages.create_update(db, ann, source, package, later, False, today())
    await packages.submit_draft(db, ann, update, today())
    await packages.approve_draft(db, sue, update, set(packages.CHECKLIST), await reviewed(db, update), today())

    row = await report_store.get_report(db, package)
    assert row is not None
    opened = await casework.open_report(db, row, eve.unit_keys)
    assert opened.package is not None and opened.package.summary == later["summary"]
    page = await inbox.inbox(db, eve, inbox.InboxFilter())
    assert [e.summary for e in page.entries if e.report.id == package] == [later["summary"]]
