"""H1: drafts (first and update) and rejection reasons are sealed to a desk-only key.

An insider at Kent holds every private key of Kent's unit ring and a copy of the database
with its WAL. Before the fix an update draft and a supervisor's rejection reason were sealed
to the package's key, which Kent holds once the first version is delivered, so Kent read
"the reporter lives at ..." before a second person approved it, and the reason quoting what
was identifying. Only approval re-encrypts the approved text for the receiving unit.
"""

from __future__ import annotations

from dropbox_server.clock import today
from dropbox_server.reports import packages
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services
from tests.desk.flow import PACKAGE
from tests.desk.insider import everything_opened, member, reviewed, unit_keys

UNAPPROVED = "Zqident the reporter lives at 12 Acacia Ave, flat 3"
REASON = "Zqreason remove the reporter's flat address"
FIRST_REASON = "Zqfirst relationship and town identify her"
APPROVED = "Zqapproved a constable took payment"


async def test_kent_cannot_read_unapproved_update_or_rejection_reason(services: Services) -> None:
    db = services.db
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="he came to my flat")
    await submit_report(db, services.receipts, content, None, "online", today())
    ann = await member(services, "ann", "desk", "desk_analyst")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    (source,) = [r[0] for r in await db.fetch_all("SELECT id FROM reports")]

    first = await packages.create_draft(db, ann, source, "kent-police", PACKAGE, False, today())
    await packages.submit_draft(db, ann, first, today())
    await packages.reject_draft(db, sue, first, FIRST_REASON, today())
    await packages.submit_draft(db, ann, first, today())
    package_id = await packages.approve_draft(
        db, sue, first, set(packages.CHECKLIST), await reviewed(db, first), today()
    )

    update = await packages.create_update(
        db, ann, source, package_id, {**PACKAGE, "summary": UNAPPROVED}, False, today()
    )
    await packages.submit_draft(db, ann, update, today())
    await packages.reject_draft(db, sue, update, REASON, today())

    kent = await unit_keys(services, "kent-police")
    by_kent = b"\n".join(everything_opened(db.path, kent))  # the live file and its WAL
    assert PACKAGE["summary"].encode() in by_kent  # the approved first version reached Kent
    for secret in (UNAPPROVED, REASON):
        assert secret.encode() not in by_kent, secret
    by_desk = b"\n".join(everything_opened(db.path, await unit_keys(services, "desk")))
    assert UNAPPROVED.encode() in by_desk and REASON.encode() in by_desk

    # After a second desk member approves an update, Kent reads exactly the approved text.
    fixed = await packages.create_update(
        db, ann, source, package_id, {**PACKAGE, "summary": APPROVED}, False, today()
    )
    await packages.submit_draft(db, ann, fixed, today())
    await packages.approve_draft(db, sue, fixed, set(packages.CHECKLIST), await reviewed(db, fixed), today())
    by_kent = b"\n".join(everything_opened(db.path, kent))
    assert APPROVED.encode() in by_kent
    for secret in (UNAPPROVED, REASON, FIRST_REASON):
        assert secret.encode() not in by_kent, secret
