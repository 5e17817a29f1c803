"""A synthetic 15-month history for one force, written through the real store functions.

Built to the published record the service is judged by: 1,988 calls (1,850 reports taken by
phone and 138 follow-up calls), 890 online reports, 867 intelligence records, 728
investigations, 139 reports passed to other forces; with safeguarding, no further action,
out-of-scope and undecided reports around them, reopened decisions, reports passed in from
the hub, and another force's reports as noise. Monthly figures vary (seeded), never below 5.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from dataclasses import dataclass, field

from dropbox_server import audit
from dropbox_server.forces import HUB_ID
from dropbox_server.store import Database, NewItem, NewReport, units
from dropbox_server.store import outcomes as outcome_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import stats as stats_store
from dropbox_server.store import transfers as transfer_store

FORCE = "kent-police"
OTHER = "essex-police"
MONTHS = [f"{y}-{m:02d}" for y, m in [(2024, m) for m in range(4, 13)] + [(2025, m) for m in range(1, 7)]]
TARGETS = {
    "phone_report": 1850,
    "phone_follow_up": 138,
    "online_report": 890,
    "intelligence": 867,
    "investigation": 728,
    "passed_on": 139,
    "safeguarding": 84,
    "no-further-action": 415,
    "out-of-scope": 226,
}
DECISIONS = ("intelligence", "investigation", "safeguarding", "no-further-action", "out-of-scope")
HUB_PASSED_IN = 30
OTHER_MONTHLY = 6
REOPENED_SAME = 25


def spread(total: int, months: int, rng: random.Random, floor: int = 5) -> list[int]:
    """`total` over `months`: a seasonal curve with ±20% noise, each month at least `floor`."""
    weights = [(1 + 0.15 * ((i % 12) in (5, 6, 7))) * rng.uniform(0.8, 1.2) for i in range(months)]
    shares = [max(floor, int(total * w / sum(weights))) for w in weights]
    while sum(shares) != total:
        i = rng.randrange(months)
        step = 1 if sum(shares) < total else -1
        if shares[i] + step >= floor:
            shares[i] += step
    return shares


@dataclass
class History:
    """What was written, for tests to check against and to delete from."""

    seqs: list[int] = field(default_factory=list)
    truth: Counter[str] = field(default_factory=Counter)


def _report(unit_id: str, key_id: int, channel: str, day: str) -> NewReport:
    blob = secrets.token_bytes(180)
    return NewReport(
        id=secrets.token_hex(8), unit_id=unit_id, channel=channel, conduct="corruption", conflict=False,
        contact_scope="none", day=day, lookup_id=secrets.token_bytes(32),
        reporter_public_key=secrets.token_bytes(32), report_public_key=secrets.token_bytes(32),
        contact_public_key=None, unit_key_id=key_id, sealed_report_key=secrets.token_bytes(80),
        sealed_contact_key=None, items=(NewItem("report", blob, secrets.token_bytes(72)),),
    )  # fmt: skip


async def _decide(db: Database, seq: int, unit: str, previous: str, outcome: str, day: str) -> str:
    change = outcome_store.NewOutcome(seq, unit, outcome, previous, day, None, b"r", b"k")
    assert await outcome_store.set_outcome(db, change, audit.pending("outcome", detail=outcome))
    return outcome


async def _pass_on(db: Database, seq: int, to_unit: str, previous: str, day: str) -> None:
    sender = await units.current_unit_key(db, FORCE if to_unit != FORCE else HUB_ID)
    receiver = await units.current_unit_key(db, to_unit)
    assert sender is not None and receiver is not None
    record = transfer_store.NewTransfer(
        report_seq=seq, from_unit_id=sender.unit_id, to_unit_id=to_unit, previous_outcome=previous,
        day=day, staff_id=None, conflict_override=False, receiver_key_id=receiver.id,  # type: ignore[arg-type]
        content_grant=b"g", contact_grant=None, sender_unit_key_id=sender.id, reason_ciphertext=b"c",
        reason_key_for_report=b"k", reason_key_for_sender=b"s", history_reason_ciphertext=b"h",
        history_reason_key=b"k",
    )  # fmt: skip
    assert await transfer_store.transfer(db, record, audit.pending("transfer", detail=f"to={to_unit}"))


async def _month(
    db: Database, h: History, rng: random.Random, i: int, plan: dict[str, list[int]], pool: list[int]
) -> None:
    month = MONTHS[i]
    force_key = await units.current_unit_key(db, FORCE)
    other_key = await units.current_unit_key(db, OTHER)
    assert force_key is not None and other_key is not None
    batch = [
        _report(FORCE, force_key.id, "phone", f"{month}-{rng.randint(1, 20):02d}")
        for _ in range(plan["phone_report"][i])
    ]
    batch += [
        _report(FORCE, force_key.id, "online", f"{month}-{rng.randint(1, 20):02d}")
        for _ in range(plan["online_report"][i])
    ]
    batch += [
        _report(OTHER, other_key.id, "online", f"{month}-{rng.randint(1, 20):02d}")
        for _ in range(OTHER_MONTHLY)
    ]
    seqs = await report_store.insert_reports(db, batch)
    new = seqs[: len(seqs) - OTHER_MONTHLY]
    h.seqs += new
    pool += new
    rng.shuffle(pool)
    for _ in range(plan["phone_follow_up"][i]):
        item = NewItem("reporter_message", secrets.token_bytes(120), secrets.token_bytes(72))
        await stats_store.add_counted_item(
            db, rng.choice(h.seqs), FORCE, item, f"{month}-21", "phone_follow_up"
        )
    for outcome in DECISIONS:
        for _ in range(plan[outcome][i]):
            await _decide(db, pool.pop(), FORCE, "new", outcome, f"{month}-{rng.randint(21, 28):02d}")
    for _ in range(plan["passed_on"][i]):
        await _pass_on(db, pool.pop(), OTHER, "new", f"{month}-25")


async def build_history(db: Database, seed: int = 7) -> History:
    """Write the whole history; returns the force's report seqs and the true totals."""
    rng = random.Random(seed)
    plan = {name: spread(total, len(MONTHS), rng) for name, total in TARGETS.items()}
    h, pool = History(), []
    for i in range(len(MONTHS)):
        await _month(db, h, rng, i, plan, pool)
    await _reopen_same(db, h)
    await _hub_passes_in(db, h)
    h.truth.update(TARGETS)
    h.truth["calls"] = TARGETS["phone_report"] + TARGETS["phone_follow_up"]
    h.truth["received"] = TARGETS["phone_report"] + TARGETS["online_report"] + HUB_PASSED_IN
    return h


async def _reopen_same(db: Database, h: History) -> None:
    """Decisions reopened and made again: each report still counts once per outcome."""
    done = 0
    for seq in h.seqs:
        report = await report_store.get_report_by_seq(db, seq)
        if report is not None and report.outcome == "intelligence" and report.unit_id == FORCE:
            await _decide(db, seq, FORCE, "intelligence", "assessing", "2025-06-28")
            await _decide(db, seq, FORCE, "assessing", "intelligence", "2025-06-29")
            done += 1
            if done == REOPENED_SAME:
                return


async def _hub_passes_in(db: Database, h: History) -> None:
    """Reports the hub triaged and passed to the force: they arrive at the force too."""
    hub_key = await units.current_unit_key(db, HUB_ID)
    assert hub_key is not None
    batch = [
        _report(HUB_ID, hub_key.id, "online", f"2024-{m:02d}-0{d}") for m in range(5, 11) for d in range(1, 6)
    ]
    seqs = await report_store.insert_reports(db, batch)
    for seq in seqs:
        report = await report_store.get_report_by_seq(db, seq)
        assert report is not None
        await _pass_on(db, seq, FORCE, "new", report.created_day[:8] + "15")
        h.seqs.append(seq)
