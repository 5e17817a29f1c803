"""After full investigator journeys, no marker typed by anyone is on disk in any encoding."""

from __future__ import annotations

import aiohttp

from dropbox_server.forces import HUB_ID
from dropbox_server.reports.content import ContactDetails
from tests.investigator.conftest import Workspace, submit
from tests.journeys import Reporter
from tests.scan import scan


def marker(field: str) -> str:
    """A distinctive string per field, with non-ASCII so every encoding is exercised."""
    return f"Zq{field}Ŵ§marker"


REPORT_FIELDS = ("subject_name", "subject_role", "collar_number", "station", "when", "where", "anything_else")


async def test_no_marker_reaches_the_data_directory(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    fields = {name: marker(name) for name in REPORT_FIELDS}
    receipt, report_id = await submit(
        workspace,
        force="kent-police",
        conflict=True,
        what_happened=marker("what_happened"),
        contact=ContactDetails(marker("contact_how"), marker("contact_when"), "investigating_force"),
        **fields,
    )
    hana = await workspace.signed_in("scanhana", HUB_ID)
    alice = await workspace.signed_in("scanalice", "kent-police")
    reporter = Reporter(http, workspace.reporter_url)
    await reporter.open_thread(receipt)
    await reporter.follow_up(marker("follow_up"))

    await hana.act(report_id, "reply", {"reply": marker("reply")})
    await hana.act(report_id, "note", {"note": marker("note")})
    await hana.act(
        report_id, "outcome", {"outcome": "assessing", "reason": marker("reason1"), "seen_outcome": "new"}
    )
    page = await hana.open_report(report_id)
    await hana.post(
        f"/reports/{report_id}/transfer",
        {
            "to_unit": "kent-police",
            "transfer_reason": marker("transfer"),
            "seen_outcome": "assessing",
            "conflict_override": "yes",
            "confirmed": "yes",
        },
        csrf_page=page,
    )
    await alice.act(report_id, "reply", {"reply": marker("reply2")})
    await alice.act(
        report_id, "outcome", {"outcome": "assessing", "reason": marker("reason2"), "seen_outcome": "new"}
    )
    await alice.act(
        report_id,
        "outcome",
        {"outcome": "investigation", "reason": marker("reason3"), "seen_outcome": "assessing"},
    )
    page = await alice.open_report(report_id)
    needles = [
        marker(n) for n in (*REPORT_FIELDS, "what_happened", "contact_how", "contact_when", "follow_up")
    ]
    needles += [marker(n) for n in ("reply", "note", "reason1", "transfer", "reply2", "reason2", "reason3")]
    # Every marker was really stored: the receiving unit reads each one back, decrypted.
    assert [n for n in needles if n not in page] == []

    # Scan the live files (database, -wal, -shm) without closing or checkpointing.
    data_dir = workspace.settings.data_dir
    names = {p.name for p in data_dir.rglob("*") if p.is_file()}
    assert {"tipdrop.sqlite3", "tipdrop.sqlite3-wal"} <= names
    assert scan([data_dir], needles) == []
    # The scan does find what is stored in clear (a control, so the test can fail).
    assert scan([data_dir], ["scanalice"]) != []
    assert receipt.split()[0] and scan([data_dir], [receipt]) == []
