"""The Met's published period rebuilt at the desk through the store's own write path, and
the statistics tables printed exactly: 1,988 calls and 890 online reports (the desk's, in
the national figures), 867 packages disseminated to the Met, 728 investigations, 139 passed
to other forces (29 Nov 2022 - 29 Feb 2024).

Calls and online reports count for the desk they reached, not for the force the reporter
named: a force's figures count only what was passed to it, so they never tell it, live,
that a report naming it exists before any package does (tests/desk/test_force_figures.py).
"""

from __future__ import annotations

import secrets

from dropbox_server import audit
from dropbox_server.services import Services
from dropbox_server.stats.formats import render
from dropbox_server.stats.table import StatsQuery, statistics
from dropbox_server.store import Database, NewItem, NewReport, units
from dropbox_server.store import outcomes as outcome_store
from dropbox_server.store import packages as package_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store import transfers as transfer_store

MET = "metropolitan-police-service"
MONTHS = [
    f"{y}-{m:02d}"
    for y, m in [(2022, 11), (2022, 12)] + [(2023, m) for m in range(1, 13)] + [(2024, 1), (2024, 2)]
]
CALLS, ONLINE, PACKAGES, INVESTIGATIONS, PASSED_ON = 1988, 890, 867, 728, 139


def _day(i: int) -> str:
    month = MONTHS[i % len(MONTHS)]
    return {"2022-11": "2022-11-29", "2024-02": "2024-02-29"}.get(month, f"{month}-15")


def _report(i: int, channel: str, key_id: int) -> NewReport:
    return NewReport(
        id=secrets.token_hex(8), unit_id="desk", channel=channel, conduct="corruption", conflict=False,
        contact_scope="none", day=_day(i), lookup_id=secrets.token_bytes(32),
        reporter_public_key=secrets.token_bytes(32), report_public_key=secrets.token_bytes(32),
        contact_public_key=None, unit_key_id=key_id, sealed_report_key=secrets.token_bytes(80),
        sealed_contact_key=None, items=(NewItem("report", secrets.token_bytes(180), secrets.token_bytes(72)),),
        desk_state="new",
    )  # fmt: skip


async def _staff(db: Database, name: str, role: str) -> int:
    return await staff_store.insert_staff(
        db, username=name, unit_id="desk", role=role, public_key=b"p", wrapped_private_key=b"w",
        totp_secret_sealed=None, day="2022-11-01", unit_key_grants={},
    )  # fmt: skip


async def _disseminate(
    db: Database, source_seq: int, day: str, people: tuple[int, int], keys: tuple[int, int]
) -> int:
    package_id = secrets.token_hex(8)
    draft = package_store.NewDraft(
        source_seq=source_seq, link_ciphertext=b"l", link_key=b"k", package_tag=secrets.token_bytes(32),
        is_update=False,
        author_staff_id=people[0], public_key=b"p", desk_key_id=keys[0], key_for_desk=b"k",
        body_ciphertext=b"b", body_key=b"k", include_contact=False, day=day,
    )  # fmt: skip
    draft_id = await package_store.insert_draft(db, draft, audit.pending("package_drafted"))
    assert await package_store.submit_draft(db, draft_id, source_seq, day, audit.pending("package_submitted"))
    row = await package_store.get_draft(db, draft_id)
    assert row is not None
    case = NewReport(
        id=package_id, unit_id=MET, channel="package", conduct="corruption", conflict=False, contact_scope="none",
        day=day, lookup_id=None, reporter_public_key=None, report_public_key=b"p", contact_public_key=None,
        unit_key_id=keys[1], sealed_report_key=b"s", sealed_contact_key=None,
        items=(NewItem("report", b"b", b"k"),),
    )  # fmt: skip
    approval = package_store.Approval(draft_id, people[1], day, row.version, case, (keys[0], b"k"), None, False)
    seq = await package_store.approve(db, row, None, approval, audit.pending("package_approved"))
    assert seq is not None
    return seq


async def _decide(db: Database, seq: int, previous: str, outcome: str, day: str) -> None:
    change = outcome_store.NewOutcome(seq, MET, outcome, previous, day, None, b"r", b"k")
    assert await outcome_store.set_outcome(db, change, audit.pending("outcome", detail=outcome))


async def _pass_on(db: Database, seq: int, day: str, met_key: int, kent_key: int) -> None:
    record = transfer_store.NewTransfer(
        report_seq=seq, from_unit_id=MET, to_unit_id="kent-police", previous_outcome="assessing", day=day,
        staff_id=None, conflict_override=False, receiver_key_id=kent_key, content_grant=b"g", contact_grant=None,
        sender_unit_key_id=met_key, reason_ciphertext=b"c", reason_key_for_report=b"k",
        reason_key_for_sender=b"s", history_reason_ciphertext=b"h", history_reason_key=b"k",
    )  # fmt: skip
    assert await transfer_store.transfer(db, record, audit.pending("transfer", detail="to=kent-police"))


async def build_met_period(db: Database) -> None:
    desk, met, kent = [await units.current_unit_key(db, u) for u in ("desk", MET, "kent-police")]
    assert desk is not None and met is not None and kent is not None
    channels = ["phone"] * CALLS + ["online"] * ONLINE
    seqs = await report_store.insert_reports(db, [_report(i, ch, desk.id) for i, ch in enumerate(channels)])
    people = (await _staff(db, "ann", "desk_analyst"), await _staff(db, "sue", "desk_supervisor"))
    for n in range(PACKAGES):
        source = seqs[n * len(seqs) // PACKAGES]
        day = _day(n)
        package = await _disseminate(db, source, day, people, (desk.id, met.id))
        await _decide(db, package, "new", "assessing", day)
        if n < INVESTIGATIONS:
            await _decide(db, package, "assessing", "investigation", day)
        else:
            await _pass_on(db, package, day, met.id, kent.id)


EXPECTED_MET = """\
Statistics for metropolitan-police-service, 2022-11 to 2024-02, by year

period  Calls  Online reports  Reports passed to force units  Intelligence records  Investigations opened  Safeguarding actions  No further action  Out of scope  Reports passed to other forces  Intelligence packages disseminated
------  -----  --------------  -----------------------------  --------------------  ---------------------  --------------------  -----------------  ------------  ------------------------------  ----------------------------------
2022        0               0                            110                     0                     92                     0                  0             0                              18                                 110
2023        0               0                            649                     0                    546                     0                  0             0                             103                                 649
2024        0               0                            108                     0                     90                     0                  0             0                              18                                 108
------  -----  --------------  -----------------------------  --------------------  ---------------------  --------------------  -----------------  ------------  ------------------------------  ----------------------------------
total       0               0                            867                     0                    728                     0                  0             0                             139                                 867

Counts from 1 to 4 are shown as 'fewer than 5'. A figure that includes one is shown as the range it lies in, never exactly, so no subtraction recovers a suppressed count."""


async def test_met_period_at_the_desk(services: Services) -> None:
    db = services.db
    await build_met_period(db)
    table = await statistics(db, StatsQuery(MONTHS[0], MONTHS[-1], MET, "year"))
    totals = {c.key: cell.exact for c, cell in zip(table.columns, table.total, strict=True)}
    assert totals["calls"] == 0 and totals["online"] == 0  # they reached the desk, not the Met
    assert totals["packages"] == PACKAGES and totals["received"] == PACKAGES
    assert totals["investigation"] == INVESTIGATIONS and totals["passed_on"] == PASSED_ON
    printed = render(table, "table")
    print(printed)
    assert printed == EXPECTED_MET
    national = await statistics(db, StatsQuery(MONTHS[0], MONTHS[-1], None, "year"))
    totals = {c.key: cell.exact for c, cell in zip(national.columns, national.total, strict=True)}
    assert totals["calls"] == CALLS and totals["online"] == ONLINE and totals["packages"] == PACKAGES
    print(render(national, "table"))
