"""Inbox latency with 100,000 reports in one unit: first page, a deep page, one member's cases.

Builds a data directory with really encrypted (small) reports bulk-loaded through the
store, a tenth of them assigned round-robin to five colleagues and the oldest three to a
newcomer, then times, for the first page, a page half-way down and the first page of a
colleague's and of the newcomer's assigned reports:
  - the inbox use case (query, unread markers, facet counts, decrypting the 25 rows shown),
  - GET /inbox over HTTP on 127.0.0.1 for a signed-in investigator (adds rendering),
  - the bare SQLite query for the same page (sqlite3, same file, no decryption),
and prints median and p99 in milliseconds with the ratio to bare. Target: ≤ 50 ms.

    python bench/bench_inbox.py [--reports 100000] [--runs 200]
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import custodian_keys
from bench.staff_site import (
    CHEAP,
    PASSWORD,
    bench_arguments,
    data_directory,
    sign_in,
    staff_client,
    staff_site,
    timed_get,
)
from bench.timing import figures, line, timed, timed_sql
from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.conduct import CONDUCT_KINDS
from dropbox_server.config import Settings
from dropbox_server.custody import keyring
from dropbox_server.reports.content import ReportContent, item_context
from dropbox_server.reports.inbox import inbox
from dropbox_server.reports.submission import new_report_id
from dropbox_server.store import NewItem, NewReport, units
from dropbox_server.store import assignments as assignment_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store.casework import InboxFilter
from dropbox_server.web.appkeys import Services

UNIT = "kent-police"
BATCH = 5_000
COLLEAGUES = 5
ASSIGN_EVERY = 10  # one report in ten is assigned to a colleague
_BARE_SELECT = (
    "SELECT r.seq, r.id, r.unit_id, r.first_unit_id, r.channel, r.conduct, r.outcome, r.conflict, "
    "r.contact_scope, r.created_day, r.last_activity_day, r.reporter_public_key, r.report_public_key, "
    "r.contact_public_key "
)
# The inbox's order: newest day first, then the random row key (migration 0006).
BARE_SQL = _BARE_SELECT + (
    "FROM reports r WHERE r.unit_id = ? AND (r.created_day, r.seq) < (?, ?) "
    "ORDER BY r.created_day DESC, r.seq DESC LIMIT 26"
)
BARE_ASSIGNED_SQL = _BARE_SELECT + (
    "FROM report_assignments a CROSS JOIN reports r ON r.seq = a.report_seq "
    "WHERE r.unit_id = ? AND (r.created_day, a.report_seq) < (?, ?) AND a.staff_id = ? "
    "ORDER BY r.created_day DESC, a.report_seq DESC LIMIT 26"
)



def synthetic_report(i: int, unit_public: bytes, unit_key_id: int, day: str) -> NewReport:
    """One report encrypted exactly as a submission is, with a small made-up form."""
    report_id = new_report_id()
    pair = envelope.generate_keypair()
    conduct = list(CONDUCT_KINDS)[i % len(CONDUCT_KINDS)]
    content = ReportContent(force=UNIT, conduct=conduct, what_happened=f"Synthetic report {i} for the bench.")
    body, body_key, _ = envelope.seal_new_item(
        pair.public, content.to_bytes(), item_context(report_id, "report")
    )
    return NewReport(
        id=report_id,
        unit_id=UNIT,
        channel="phone" if i % 3 == 0 else "online",
        conduct=conduct,
        conflict=False,
        contact_scope="none",
        day=day,
        lookup_id=os.urandom(32),
        reporter_public_key=envelope.generate_keypair().public,
        report_public_key=pair.public,
        contact_public_key=None,
        unit_key_id=unit_key_id,
        sealed_report_key=envelope.seal(unit_public, pair.private),
        sealed_contact_key=None,
        items=(NewItem(kind="report", ciphertext=body, key_for_unit=body_key),),
    )


async def load(services: Services, count: int) -> float:
    key = await units.current_unit_key(services.db, UNIT)
    assert key is not None
    started, day = time.perf_counter(), today()
    for start in range(0, count, BATCH):
        batch = [
            synthetic_report(i, key.public_key, key.id, day) for i in range(start, min(count, start + BATCH))
        ]
        await report_store.insert_reports(services.db, batch)
    return time.perf_counter() - started


def timed_bare(db_path: Path, before: tuple[str, int], runs: int, assignee: int | None = None) -> list[float]:
    if assignee is None:
        return timed_sql(db_path, BARE_SQL, (UNIT, *before), runs)
    return timed_sql(db_path, BARE_ASSIGNED_SQL, (UNIT, *before, assignee), runs)


async def enrol(
    services: Services, username: str | None = None
) -> tuple[custodian_keys.Enrolled, keyring.UnlockedStaff]:
    """A fresh investigator for this run (a new name each time, so a kept data dir works)."""
    username = username or f"bench{int(time.time())}"
    data_dir = services.db.path.parent
    enrolment = await custodian_keys.enrol(services.db, data_dir, username, UNIT, PASSWORD, CHEAP)
    row = await staff_store.get_staff(services.db, enrolment.staff_id or 0)
    assert row is not None
    staff = await keyring.unlock_staff(services.db, row, keyring.unwrap_staff_key(row, PASSWORD))
    return enrolment, staff


async def assign_share(services: Services, count: int) -> None:
    """Every tenth report to five colleagues, round-robin, and the oldest three to a newcomer.

    One bulk transaction straight into the table (the app assigns one audited report at a
    time); the schema's triggers still check each row and keep the caseload counts.
    """
    colleagues = [(await enrol(services, f"colleague{n}"))[1].staff.id for n in range(COLLEAGUES)]
    newcomer = (await enrol(services, "newcomer"))[1].staff.id
    reports = await report_store.list_unit_reports(services.db, UNIT, count, 0)
    rows = [(r.seq, colleagues[i % COLLEAGUES]) for i, r in enumerate(reports[::ASSIGN_EVERY])]
    rows += [(r.seq, newcomer) for r in reports[-3:]]
    async with services.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO report_assignments (report_seq, unit_id, staff_id, assigned_by, day) "
            "VALUES (?, ?, ?, ?, ?)",
            [(seq, UNIT, staff_id, colleagues[0], today()) for seq, staff_id in rows],
        )


async def measure(settings: Settings, services: Services, count: int, runs: int) -> None:
    enrolment, staff = await enrol(services)
    colleague = await staff_store.get_staff_by_username(services.db, "colleague0")
    newcomer = await staff_store.get_staff_by_username(services.db, "newcomer")
    assert colleague and newcomer, "load the data with this version of the bench"
    caseloads = await assignment_store.caseloads(services.db, UNIT)
    newest = await report_store.list_unit_reports(services.db, UNIT, 1, 0)
    middle = await report_store.list_unit_reports(services.db, UNIT, 1, count // 2)
    top = (newest[0].created_day, newest[0].seq + 1)
    pages: dict[str, tuple[str | None, tuple[str, int], int | None]] = {
        "first page": (None, top, None),
        f"deep page (row {count // 2:,})": (middle[0].id, (middle[0].created_day, middle[0].seq), None),
        f"one colleague's cases ({caseloads.get(colleague.id, 0):,})": (
            None,
            top,
            colleague.id,
        ),
        f"a newcomer's oldest cases ({caseloads.get(newcomer.id, 0)})": (
            None,
            top,
            newcomer.id,
        ),
    }

    async with staff_site(settings, services) as base, staff_client() as http:
        await sign_in(http, base, staff.staff.username, enrolment.totp_secret)
        for label, (before, bare_key, assignee) in pages.items():
            bare = timed_bare(settings.database_path, bare_key, runs, assignee)
            where = InboxFilter(assignee=assignee)

            async def page(b: str | None = before, w: InboxFilter = where) -> object:
                return await inbox(services.db, staff, w, before=b)

            use_case = await timed(page, runs)
            query = [f"before={before}"] if before else []
            query += [f"assigned={assignee}"] if assignee is not None else []
            over_http = await timed_get(
                http, base + "/inbox" + ("?" + "&".join(query) if query else ""), runs
            )
            print(f"-- {label}")
            print(figures("bare SQLite query", bare))
            print(line("inbox use case (decrypts 25 rows)", use_case, bare))
            print(line("GET /inbox over HTTP", over_http, bare))


async def main() -> None:
    args = bench_arguments(__doc__).parse_args()
    async with data_directory(args.data_dir, routing="direct") as loaded:  # a force unit's own inbox
        settings, services = loaded.settings, loaded.services
        if loaded.fresh:
            seconds = await load(services, args.reports)
            print(f"Loaded {args.reports:,} encrypted reports into {UNIT} in {seconds:.1f} s.")
            await assign_share(services, args.reports)
        count = await report_store.count_unit_reports(services.db, UNIT)
        print(f"{count:,} reports in {UNIT}; {args.runs} timed runs each.")
        await measure(settings, services, count, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
