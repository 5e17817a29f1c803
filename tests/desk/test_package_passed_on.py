"""M4 (open): passing a package to another force should give it a fresh key pair, so the
first force's copy of the package key opens nothing added afterwards.

On this branch a package keeps its key pair when a force passes it on: an insider at Kent
who kept the keys Kent's unit key reached in a database copy taken before the hand-over
reads Essex's notes and questions added after it. The custody-sign branch gives a report a
new key pair on passing on (the old private key sealed to the new one); packages pass on
through the same transfer_report, so they get it when that branch lands, and the desk's
grant must then be re-sealed to the new key too. Until then this test is a strict xfail:
it fails loudly the day it starts passing, so the marker is removed with the fix.
"""

from __future__ import annotations

import pytest

from dropbox_server.clock import today
from dropbox_server.reports import case_actions, packages
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.reports.transfer import TransferRequest, transfer_report
from dropbox_server.services import Services
from tests.desk.flow import PACKAGE
from tests.desk.insider import everything_opened, keys_reached, member, reviewed, unit_keys

AFTER = "Zqessex note: suspect is DC Bloggs"


@pytest.mark.xfail(strict=True, reason="M4 open: a package keeps its key pair when passed on")
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

    kept = keys_reached(db.path, await unit_keys(services, "kent-police"))  # Kent's copy, before
    request = TransferRequest(package, "essex-police", "Their area.", False, "new")
    await transfer_report(db, kim, request, today())
    await case_actions.note(db, eve, package, AFTER, 2000, today())

    assert AFTER.encode() not in b"\n".join(everything_opened(db.path, kept))
