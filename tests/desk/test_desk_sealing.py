"""M1 and M2 (the rest): a copy of the database does not say which force a desk report names,
nor tie a package in a force's inbox to the desk report it came from.

Before migration 0015 reports.named_force held the named force in clear, package_drafts held
the receiving unit, the package id and the package's case beside source_seq, and audit
details named the receiving unit on the source report's entries. The insider here reads
every row of every table of a copy (no keys), as the file and its WAL stand.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from dropbox_server.clock import today
from dropbox_server.reports import inbox, packages, relay
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.desk_panel import desk_panel
from dropbox_server.reports.packages import desk_case
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services
from tests.desk.flow import PACKAGE
from tests.desk.insider import member, reviewed

KENT = "kent-police"


def _rows(path: Path) -> list[tuple[str, tuple[Any, ...]]]:
    """Every row of every table of a copy, with its table's name."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        return [(t, tuple(row)) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"')]


def _refers(row: tuple[Any, ...], seq: int, report_id: str) -> bool:
    """Whether a row names a report, by its row key or (anywhere in a text) by its id."""
    return any(v == seq or (isinstance(v, str) and report_id in v) for v in row)


def _ids(path: Path, report_id: str) -> tuple[int, str]:
    with sqlite3.connect(path) as conn:
        (seq,) = conn.execute("SELECT seq FROM reports WHERE id = ?", (report_id,)).fetchone()
    return int(seq), report_id


async def _journey(services: Services) -> tuple[str, str]:
    """A report naming Kent reaches the desk, is filtered on, packaged for Kent, approved, asked
    about by Kent and updated: (source report id, package id)."""
    db = services.db
    content = ReportContent(force=KENT, conduct="corruption", what_happened="it happened")
    await submit_report(db, services.receipts, content, None, "online", today())
    other = ReportContent(force="merseyside-police", conduct="corruption", what_happened="elsewhere")
    await submit_report(db, services.receipts, other, None, "online", today())
    ann = await member(services, "ann", "desk", "desk_analyst")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    kim = await member(services, "kim", KENT, "investigator")
    page = await inbox.inbox(db, ann, inbox.InboxFilter(named_force=KENT))
    (source,) = [e.report.id for e in page.entries]  # the desk's filter still works (tags)
    first = await packages.create_draft(db, ann, source, KENT, PACKAGE, False, today())
    await packages.submit_draft(db, ann, first, today())
    package = await packages.approve_draft(
        db, sue, first, set(packages.CHECKLIST), await reviewed(db, first), today()
    )
    request = await relay.ask_desk(db, kim, package, "question", "Which month?", 2000, today())
    assert await relay.settle_request(db, ann, request, True) == source  # the desk finds the report
    update = await packages.create_update(db, ann, source, package, PACKAGE, False, today())
    await packages.submit_draft(db, ann, update, today())
    await packages.approve_draft(db, sue, update, set(packages.CHECKLIST), await reviewed(db, update), today())
    panel = await desk_panel(db, ann, await desk_case(db, ann, source))
    assert panel.delivered == ((package, KENT),)  # the desk still sees where its package is
    assert {line.to_unit_id for line in panel.lines} == {KENT}
    return source, package


async def test_a_copy_does_not_show_which_force_a_desk_report_names(services: Services) -> None:
    source, _ = await _journey(services)
    path = services.db.path
    seq, report_id = _ids(path, source)
    for table, row in _rows(path):
        if _refers(row, seq, report_id):
            assert not any(isinstance(v, str) and "kent" in v.casefold() for v in row), (table, row)


async def test_a_copy_does_not_tie_a_package_to_its_desk_report(services: Services) -> None:
    source, package = await _journey(services)
    path = services.db.path
    source_seq, _ = _ids(path, source)
    package_seq, _ = _ids(path, package)
    for table, row in _rows(path):
        assert not (_refers(row, source_seq, source) and _refers(row, package_seq, package)), (table, row)


async def test_a_draft_written_before_0015_is_sealed_by_the_next_desk_view(services: Services) -> None:
    """A draft migrated from 0014 keeps its link in clear (SQL cannot seal); the first desk
    inbox view seals it, after which the desk still finds the package from it."""
    source, package = await _journey(services)
    db = services.db
    async with db.transaction() as tx:  # how 0015 leaves a draft written before it
        await tx.execute(
            "UPDATE package_drafts SET to_unit_id = ?, package_id = ?, link_ciphertext = NULL, "
            "link_key = NULL, package_tag = NULL WHERE is_update = 0",
            (KENT, package),
        )
    ann = await member(services, "amy", "desk", "desk_analyst")
    panel = await desk_panel(db, ann, await desk_case(db, ann, source))
    assert panel.delivered == ((package, KENT),)  # read from the clear columns meanwhile
    await inbox.inbox(db, ann, inbox.InboxFilter())
    left = await db.fetch_all("SELECT 1 FROM package_drafts WHERE package_id IS NOT NULL OR to_unit_id IS NOT NULL")
    assert left == []
    panel = await desk_panel(db, ann, await desk_case(db, ann, source))
    assert panel.delivered == ((package, KENT),)
