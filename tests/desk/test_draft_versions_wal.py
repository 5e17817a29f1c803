"""H2: an old draft version and a rejection reason, superseded before approval, are neither
left in the database file or its WAL nor openable by the receiving force if recovered.

Before the fix they stayed in the WAL after approval, sealed to the package key that Kent
receives, so Kent read the first version ("the officer's ex-partner, lives in Ashford") and
the supervisor's reason from the WAL's bytes.
"""

from __future__ import annotations

from pathlib import Path

from dropbox_server.clock import today
from dropbox_server.reports import packages
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services
from dropbox_server.store import packages as package_store
from tests.desk.flow import PACKAGE
from tests.desk.insider import everything_opened, member, reviewed, unit_keys

OLD = "Zqv1 reporter is the officer's ex-partner, lives in Ashford"
REASON = "Zqrej relationship and town identify her"


async def test_superseded_draft_and_reason_leave_no_trace_kent_can_read(services: Services) -> None:
    db = services.db
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="about my ex")
    await submit_report(db, services.receipts, content, None, "online", today())
    ann = await member(services, "ann", "desk", "desk_analyst")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    (source,) = [r[0] for r in await db.fetch_all("SELECT id FROM reports")]
    draft = await packages.create_draft(
        db, ann, source, "kent-police", {**PACKAGE, "summary": OLD}, False, today()
    )
    await packages.submit_draft(db, ann, draft, today())
    await packages.reject_draft(db, sue, draft, REASON, today())
    row = await package_store.get_draft(db, draft)
    assert row is not None and row.rejection_ciphertext is not None
    old_body, old_reason = row.body_ciphertext, row.rejection_ciphertext

    await packages.edit_draft(db, ann, draft, {**PACKAGE, "summary": "Clean v2"}, False, today())
    await packages.submit_draft(db, ann, draft, today())
    await packages.approve_draft(db, sue, draft, set(packages.CHECKLIST), await reviewed(db, draft), today())

    wal = Path(str(db.path) + "-wal")
    on_disk = db.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for blob in (old_body, old_reason):
        assert blob[:64] not in on_disk
    # Even recovered from an older copy, Kent's keys open neither.
    by_kent = b"\n".join(
        everything_opened(db.path, await unit_keys(services, "kent-police"), (old_body, old_reason))
    )
    assert b"Clean v2" in by_kent
    assert OLD.encode() not in by_kent and REASON.encode() not in by_kent
