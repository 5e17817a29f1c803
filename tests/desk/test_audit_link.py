"""M2 (the audit part): the audit log never names a package beside the desk report it came
from. Before the fix `package_approved` said `draft=1 package=<id>` on the source report's
entry (and an update's `package_drafted` said `update=<id>`, a settled relay request its
id), so a force holding the database learnt which report its package came from.

Not covered: package_drafts still holds source_seq and package_seq in clear (known limit).
"""

from __future__ import annotations

from dropbox_server.clock import today
from dropbox_server.reports import packages, relay
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services
from dropbox_server.store import audit as audit_store
from tests.desk.flow import PACKAGE
from tests.desk.insider import member, reviewed


async def test_no_audit_entry_names_a_package_beside_its_source(services: Services) -> None:
    db = services.db
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="it happened")
    await submit_report(db, services.receipts, content, None, "online", today())
    ann = await member(services, "ann", "desk", "desk_analyst")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    kim = await member(services, "kim", "kent-police", "investigator")
    (source,) = [r[0] for r in await db.fetch_all("SELECT id FROM reports")]
    first = await packages.create_draft(db, ann, source, "kent-police", PACKAGE, False, today())
    await packages.submit_draft(db, ann, first, today())
    package = await packages.approve_draft(
        db, sue, first, set(packages.CHECKLIST), await reviewed(db, first), today()
    )
    request = await relay.ask_desk(db, kim, package, "question", "Which month?", 2000, today())
    await relay.settle_request(db, ann, request, True)
    update = await packages.create_update(db, ann, source, package, PACKAGE, False, today())
    await packages.submit_draft(db, ann, update, today())
    await packages.approve_draft(
        db, sue, update, set(packages.CHECKLIST), await reviewed(db, update), today()
    )

    rows = [row.entry for row in await audit_store.entries(db)]
    assert any(e.action == "package_approved" for e in rows)
    for e in rows:
        named = {e.report_id, *e.detail.replace("=", " ").split()}
        assert not {source, package} <= named, e
        if e.report_id == source:
            assert f"request={request}" not in e.detail, e
