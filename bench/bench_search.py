"""Finding a report by collar number with 100,000 reports in one unit.

Loads 20,000 really encrypted reports as bench_inbox does, then pads the unit to 100,000 with
SQL copies under new random keys and ids (their items are not copied: they are never opened,
they give the tables and indexes their full size; `--real 100000` loads every one really
encrypted, in minutes since migration 0019 indexed items by report). Marks every report as
the unit opening it would (two keyed digests each: its collar number with its force, and a
filler), real and padding reports from two
pools of numbers, so the number searched for is named by a handful of real reports, then
times:
  - the inbox use case searched by collar number with any force (the number hashed with every
    force, ~50 digests) and with its force, and with another filter as well,
  - GET /inbox?collar=… over HTTP on 127.0.0.1 for a signed-in investigator (adds rendering),
  - the bare SQLite query for the same page (sqlite3, same file, digests given, no decryption),
and prints median and p99 in milliseconds with the ratio to bare. Target: p99 ≤ 50 ms.

    python bench/bench_search.py [--reports 100000] [--real 20000] [--runs 200] [--data-dir DIR]
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_inbox import UNIT, enrol, load
from bench.staff_site import bench_arguments, data_directory, sign_in, staff_client, staff_site, timed_get
from bench.timing import figures, line, timed, timed_sql
from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.custody.subject_key import open_subject_key
from dropbox_server.reports.inbox import inbox
from dropbox_server.reports.repeat_subjects import COLLAR, MARKS_PER_REPORT, collar_message, collar_search
from dropbox_server.store import reports as report_store
from dropbox_server.store.casework import InboxFilter
from dropbox_server.web.appkeys import Services

NUMBERS = 4_000  # distinct collar numbers per pool: each is named by about reports / NUMBERS reports
WANTED = "KT 1234"
BARE_SQL = (
    "SELECT r.seq, r.id, r.unit_id, r.created_day FROM reports r WHERE +r.unit_id = ? AND r.seq IN "
    "(SELECT m.report_seq FROM subject_marks m WHERE m.subject_key_id = ? AND m.digest IN ({})) "
    "ORDER BY r.created_day DESC, r.seq DESC LIMIT 26"
)


async def pad(services: Services, total: int) -> int:
    """Copy the unit's encrypted reports under new random keys and ids until it holds `total`.

    The copies are padding: their items are not copied, so they are never opened; they give
    the tables and indexes their full size. Every report a search below finds is a real one.
    """
    columns = (
        "unit_id, first_unit_id, channel, conduct, outcome, conflict, contact_scope, created_day, "
        "last_activity_day, reporter_public_key, report_public_key, contact_public_key, "
        "desk_state, risk, reporter_last_day"
    )
    have = await report_store.count_unit_reports(services.db, UNIT)
    while have < total:
        async with services.db.transaction() as tx:
            await tx.execute(
                f"INSERT INTO reports (seq, id, lookup_id, {columns}) "
                "SELECT (random() >> 2) & 0x3fffffffffffffff, lower(hex(randomblob(8))), randomblob(32), "
                f"{columns} FROM reports WHERE unit_id = ? LIMIT ?",
                (UNIT, min(have, total - have)),
            )
        have = await report_store.count_unit_reports(services.db, UNIT)
    return have


async def mark_all(services: Services, staff: UnlockedStaff) -> int:
    """Mark every report of the unit as opening it does, in one bulk transaction.

    Real reports name collar numbers from one pool (so WANTED is named by a few real reports),
    padding copies from another pool with the same spread.
    """
    key_id, key = await open_subject_key(services.db, UNIT, staff.unit_keys, today())
    real_seqs = {int(r[0]) for r in await services.db.fetch_all("SELECT DISTINCT report_seq FROM items")}
    found = [
        (int(r[0]), int(r[0]) in real_seqs)
        for r in await services.db.fetch_all("SELECT seq FROM reports WHERE unit_id = ?", (UNIT,))
    ]
    rows = []
    counters = {True: 0, False: 0}
    for seq, real in found:
        i = counters[real]
        counters[real] += 1
        number = f"{'KT' if real else 'PAD'} {1234 + (i % NUMBERS)}"
        digest = envelope.subject_digest(key, COLLAR, collar_message(UNIT, number))
        rows.append((key_id, digest, seq))
        rows += [(key_id, secrets.token_bytes(32), seq) for _ in range(MARKS_PER_REPORT - 1)]
    async with services.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO subject_marks (subject_key_id, digest, report_seq) VALUES (?, ?, ?)", rows
        )
    return len(found)


def timed_bare(db_path: Path, key_id: int, digests: tuple[bytes, ...], runs: int) -> list[float]:
    return timed_sql(db_path, BARE_SQL.format(",".join("?" * len(digests))), (UNIT, key_id, *digests), runs)


async def measure(settings: Settings, services: Services, runs: int) -> None:
    enrolment, staff = await enrol(services)
    cases = {
        "collar number, any force": ({"collar": WANTED}, None, None),
        "collar number with its force": ({"collar": WANTED, "collar_force": UNIT}, UNIT, None),
        "collar number + conduct filter": ({"collar": WANTED, "conduct": "corruption"}, None, "corruption"),
    }
    async with staff_site(settings, services) as base, staff_client() as http:
        await sign_in(http, base, staff.staff.username, enrolment.totp_secret)
        for label, (query, force, conduct) in cases.items():
            key_id, digests = await collar_search(services.db, staff, WANTED, force, today())
            bare = timed_bare(settings.database_path, key_id, digests, runs)

            async def use_case(f: str | None = force, c: str | None = conduct) -> object:
                kid, found = await collar_search(services.db, staff, WANTED, f, today())
                return await inbox(services.db, staff, InboxFilter(conduct=c, subject=(kid, found)))

            matched = await inbox(services.db, staff, InboxFilter(conduct=conduct, subject=(key_id, digests)))
            timed_use_case = await timed(use_case, runs)
            over_http = await timed_get(http, base + "/inbox?" + urlencode(query), runs)
            print(f"-- {label}: {len(matched.entries)} reports found, {len(digests)} digests")
            print(figures("bare SQLite query", bare))
            print(line("inbox use case (hash, find, decrypt)", timed_use_case, bare))
            print(line("GET /inbox?collar=… over HTTP", over_http, bare))


async def main() -> None:
    parser = bench_arguments(__doc__)
    parser.add_argument(
        "--real", type=int, default=20_000, help="reports really encrypted; the rest are copies"
    )
    args = parser.parse_args()
    async with data_directory(args.data_dir, routing="direct") as loaded:  # a force unit's own inbox
        settings, services = loaded.settings, loaded.services
        if loaded.fresh:
            seconds = await load(services, args.real)
            print(f"Loaded {args.real:,} encrypted reports into {UNIT} in {seconds:.1f} s.")
        if await report_store.count_unit_reports(services.db, UNIT) < args.reports:
            print(f"Padded to {await pad(services, args.reports):,} reports with copies.")
        if await services.db.fetch_one("SELECT 1 FROM subject_marks LIMIT 1") is None:
            _, staff = await enrol(services, f"marker{int(time.time())}")
            print(f"Marked {await mark_all(services, staff):,} reports.")
        count = await report_store.count_unit_reports(services.db, UNIT)
        print(f"{count:,} reports in {UNIT}; {args.runs} timed runs each.")
        await measure(settings, services, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
