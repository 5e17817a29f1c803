"""The package use case, not only the desk's receiving list, refuses a unit failing its checks
(custody/unit_check.py; insider finding V6): `packages.create_draft` and `approve_draft` both
check it. Attacker: a database writer, with a desk analyst who posts the unit id (a page
loaded before the change, or a crafted form)."""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server.clock import today
from dropbox_server.custody import directory
from dropbox_server.reports import packages
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services
from tests.desk.flow import PACKAGE
from tests.desk.insider import member, reviewed


@pytest.fixture
def routing() -> str:
    return "desk"


def _forge_essex(db_path: object) -> None:
    with sqlite3.connect(str(db_path)) as raw:  # the writer: Essex's unit shown as a Kent office
        raw.execute("UPDATE units SET name = 'Kent Police Anti-Corruption Unit' WHERE id = 'essex-police'")


async def test_a_package_to_a_unit_failing_its_checks_is_refused(services: Services) -> None:
    """Regression (insider finding V6, was 'attack succeeds'): the draft is refused."""
    db = services.db
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="he came to my flat")
    await submit_report(db, services.receipts, content, None, "online", today())
    ann = await member(services, "ann", "desk", "desk_analyst")
    (source,) = [r[0] for r in await db.fetch_all("SELECT id FROM reports")]
    _forge_essex(db.path)
    assert "essex-police" not in dict(await directory.receiving_units(db))  # off the list...
    with pytest.raises(packages.PackageError) as refused:  # ...and refused by the use case
        await packages.create_draft(db, ann, source, "essex-police", PACKAGE, False, today())
    assert refused.value.code == "invalid" and refused.value.fields.get("to_unit") == "choose"
    assert await db.fetch_all("SELECT id FROM reports WHERE unit_id = 'essex-police'") == []


async def test_a_draft_whose_unit_fails_before_approval_is_not_delivered(services: Services) -> None:
    """V6: the unit passes when the draft is made and fails by the time it is approved."""
    db = services.db
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="he came to my flat")
    await submit_report(db, services.receipts, content, None, "online", today())
    ann = await member(services, "ann", "desk", "desk_analyst")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    (source,) = [r[0] for r in await db.fetch_all("SELECT id FROM reports")]
    draft = await packages.create_draft(db, ann, source, "essex-police", PACKAGE, False, today())
    await packages.submit_draft(db, ann, draft, today())
    _forge_essex(db.path)
    with pytest.raises(packages.PackageError) as refused:
        await packages.approve_draft(db, sue, draft, set(packages.CHECKLIST), await reviewed(db, draft), today())
    assert refused.value.code == "bad_unit"
    assert await db.fetch_all("SELECT id FROM reports WHERE unit_id = 'essex-police'") == []
