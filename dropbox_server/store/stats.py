"""SQL for the monthly statistics counters (kept by the triggers of migration 0005)."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.database import Database
from dropbox_server.store.records import NewItem
from dropbox_server.store.reports import add_item_tx

MEASURES = (
    "phone_report",
    "phone_follow_up",
    "online_report",
    "received",
    "investigation",
    "safeguarding",
    "intelligence",
    "no-further-action",
    "out-of-scope",
    "passed_on",
)


@dataclass(frozen=True)
class MonthlyCount:
    """One counter: how many times `measure` happened in one unit in one month."""

    unit_id: str
    unit_kind: str
    month: str
    measure: str
    count: int


async def bump_tx(tx: aiosqlite.Connection, unit_id: str, day: str, measure: str) -> None:
    """Inside a transaction: count one `measure` for `unit_id` in the month of `day`."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    await tx.execute(
        "INSERT INTO stats_monthly (month, unit_id, measure, count) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (unit_id, month, measure) DO UPDATE SET count = count + 1",
        (day[:7], unit_id, measure),
    )


async def add_counted_item(
    db: Database, seq: int, unit_id: str, item: NewItem, day: str, measure: str
) -> int:
    """Append an item to a report and count `measure` in the same transaction."""
    async with db.transaction() as tx:
        item_id = await add_item_tx(tx, seq, item, day)
        await bump_tx(tx, unit_id, day, measure)
    return item_id


async def monthly_counts(
    db: Database, first_month: str, last_month: str, unit_id: str | None = None
) -> list[MonthlyCount]:
    """Every non-zero counter from `first_month` to `last_month` (YYYY-MM, inclusive),
    for one unit or for every unit."""
    sql = (
        "SELECT s.unit_id, coalesce(u.kind, 'force'), s.month, s.measure, s.count "
        "FROM stats_monthly s LEFT JOIN units u ON u.id = s.unit_id "
        "WHERE s.month BETWEEN ? AND ? AND s.count > 0"
    )
    params: tuple[str, ...] = (first_month, last_month)
    if unit_id is not None:
        sql += " AND s.unit_id = ?"
        params += (unit_id,)
    rows = await db.fetch_all(sql + " ORDER BY s.unit_id, s.month, s.measure", params)
    return [MonthlyCount(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4])) for r in rows]
