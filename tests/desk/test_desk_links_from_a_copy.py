"""Insider finding F5 (regression): from a copy of the database alone (no key), tie a package
to its desk report and learn which force the desk report went to.

Attacker (a): a force insider with a database copy. Migration 0015 took the named force and
the package link out of the clear columns, but the audit trail -- readable by anyone with a
copy, and ordered by design -- names the package on the force's entries and the source report
on the desk's: a force's question about a package (`relay_asked`, report_id = package, unit
= the force) is followed, when the desk passes it on, by `relay_sent` naming the source
report; and `package_approved` (source) is followed by the force's first entry naming a new
report id. Was an attack test (it passed on the old code); those desk entries now carry
a keyed reference (reports/package_links.py `audit_ref`) in place of the source report's
id (and of the draft's, whose row names the source), which a desk member can compute.

Not covered (known limit): order and timing still show that some desk report was approved
or relayed just then, and the desk's other entries naming the source report at about that
time (its drafts, views) can narrow it down.
"""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server.forces import DESK_ID
from dropbox_server.reports.package_links import audit_ref, desk_subject_key
from dropbox_server.services import Services
from tests.desk.insider import member
from tests.desk.test_desk_sealing import _journey


@pytest.fixture
def routing() -> str:
    return "desk"


def _links_from_audit(path: object) -> dict[str, tuple[str, str]]:
    """package id -> (desk report id, force), read from the audit rows of a copy."""
    with sqlite3.connect(str(path)) as conn:
        rows = conn.execute("SELECT action, unit_id, report_id FROM audit_log ORDER BY seq").fetchall()
    desk_reports = {r[2] for r in rows if r[1] == "desk" and r[2]}
    links: dict[str, tuple[str, str]] = {}
    asked: tuple[str, str] | None = None
    for action, unit_id, report_id in rows:
        if action == "relay_asked" and report_id not in desk_reports:
            asked = (report_id, unit_id)
        elif action == "relay_sent" and asked is not None:
            links[asked[0]] = (report_id, asked[1])
            asked = None
    return links


async def test_the_audit_trail_of_a_copy_does_not_tie_a_package_to_its_desk_report(services: Services) -> None:
    source, package = await _journey(services)
    links = _links_from_audit(services.db.path)
    # DEFENCE: the desk's relay entries name no desk report, so nothing is tied.
    assert all(report is None for report, _ in links.values()), links
    with sqlite3.connect(services.db.path) as conn:
        desk_rows = conn.execute(
            "SELECT action, report_id, detail FROM audit_log WHERE action IN "
            "('relay_sent', 'relay_declined', 'package_approved')").fetchall()
        drafts = [str(r[0]) for r in conn.execute("SELECT id FROM package_drafts")]
    assert {r[0] for r in desk_rows} == {"relay_sent", "package_approved"}
    for _, report_id, detail in desk_rows:
        assert report_id is None and source not in detail and package not in detail
        assert not any(f"draft={d}" in detail for d in drafts)
    # Still useful to the desk: a desk member computes the report's reference and finds them.
    ann = await member(services, "ann2", DESK_ID, "desk_analyst")
    ref = audit_ref(await desk_subject_key(services.db, ann, "2026-01-01"), source)
    assert all(detail.startswith(ref) for _, _, detail in desk_rows)
