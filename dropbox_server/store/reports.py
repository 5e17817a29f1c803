"""SQL for reports, their key grants and their encrypted items."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

import aiosqlite

from dropbox_server.store.database import Database
from dropbox_server.store.records import ItemRow, NewItem, NewReport, ReportRow
from dropbox_server.store.row_keys import new_row_key

_REPORT_COLUMNS = (
    "seq, id, unit_id, first_unit_id, channel, conduct, outcome, conflict, contact_scope, "
    "created_day, last_activity_day, reporter_public_key, report_public_key, contact_public_key, "
    "desk_state, risk"
)
_ITEM_COLUMNS = (
    "id, report_seq, kind, created_day, author_staff_id, ciphertext, key_for_unit, key_for_reporter, "
    "authenticator, n"
)
# The item's position in its report (`n`) is set by a trigger in the same statement, or
# given (0 lets the trigger set it).
_INSERT_ITEM = (
    "INSERT INTO items (id, report_seq, kind, created_day, author_staff_id, ciphertext, "
    "key_for_unit, key_for_reporter, authenticator, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _report(r: Iterable[Any]) -> ReportRow:
    values = list(r)
    values[7] = bool(values[7])
    values[15] = bool(values[15])
    return ReportRow(*values)


def _item(r: sqlite3.Row) -> ItemRow:
    return ItemRow(*r)


async def insert_report(db: Database, report: NewReport) -> int:
    """Store a report, its key grants and its items in one durable transaction."""
    async with db.transaction() as tx:
        return await _insert_report_tx(tx, report)


async def insert_reports(db: Database, batch: list[NewReport]) -> list[int]:
    """Store many reports in one transaction (bulk loads: benchmarks, imports)."""
    async with db.transaction() as tx:
        return [await _insert_report_tx(tx, report) for report in batch]


async def insert_report_tx(tx: aiosqlite.Connection, report: NewReport) -> int:
    """Inside a transaction: store a report, its key grants and its items."""
    return await _insert_report_tx(tx, report)


async def _insert_report_tx(tx: aiosqlite.Connection, report: NewReport) -> int:
    seq = new_row_key()
    await tx.execute(
        "INSERT INTO reports (seq, id, unit_id, first_unit_id, channel, conduct, conflict, "
        "contact_scope, created_day, last_activity_day, lookup_id, reporter_public_key, "
        "report_public_key, contact_public_key, desk_state, risk) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            seq,
            report.id,
            report.unit_id,
            report.unit_id,
            report.channel,
            report.conduct,
            int(report.conflict),
            report.contact_scope,
            report.day,
            report.day,
            report.lookup_id,
            report.reporter_public_key,
            report.report_public_key,
            report.contact_public_key,
            report.desk_state,
            int(report.risk),
        ),
    )
    if report.certificate is not None:
        await tx.execute("UPDATE reports SET certificate = ? WHERE seq = ?", (report.certificate(seq), seq))
    grants = [(seq, "content", report.unit_key_id, report.sealed_report_key)]
    if report.sealed_contact_key is not None:
        grants.append((seq, "contact", report.unit_key_id, report.sealed_contact_key))
    await tx.executemany(
        "INSERT INTO report_key_grants (report_seq, purpose, unit_key_id, sealed_private_key)"
        " VALUES (?, ?, ?, ?)",
        grants,
    )
    if not report.items:
        return seq
    await tx.executemany(
        _INSERT_ITEM,
        [
            (
                new_row_key(),
                seq,
                i.kind,
                report.day,
                i.author_staff_id,
                i.ciphertext,
                i.key_for_unit,
                i.key_for_reporter,
                i.authenticator,
                0,  # the trigger sets the position
            )
            for i in report.items
        ],
    )
    return seq


async def find_by_lookup_id(db: Database, lookup_id: bytes) -> ReportRow | None:
    r = await db.fetch_one(
        f"SELECT {_REPORT_COLUMNS} FROM reports WHERE lookup_id = ?",  # noqa: S608
        (lookup_id,),
    )
    return _report(r) if r else None


async def get_report(db: Database, report_id: str) -> ReportRow | None:
    r = await db.fetch_one(
        f"SELECT {_REPORT_COLUMNS} FROM reports WHERE id = ?",  # noqa: S608
        (report_id,),
    )
    return _report(r) if r else None


async def get_reporter_report(db: Database, report_id: str, reporter_public_key: bytes) -> ReportRow | None:
    """The report with this stable id, only while it still belongs to this reporter's key."""
    r = await db.fetch_one(
        f"SELECT {_REPORT_COLUMNS} FROM reports WHERE id = ? AND reporter_public_key = ?",  # noqa: S608
        (report_id, reporter_public_key),
    )
    return _report(r) if r else None


async def get_report_by_seq(db: Database, seq: int) -> ReportRow | None:
    r = await db.fetch_one(
        f"SELECT {_REPORT_COLUMNS} FROM reports WHERE seq = ?",  # noqa: S608
        (seq,),
    )
    return _report(r) if r else None


async def report_grants(db: Database, seq: int, purpose: str) -> list[tuple[int, bytes]]:
    """(unit key id, sealed report private key) pairs for one report and purpose."""
    rows = await db.fetch_all(
        "SELECT unit_key_id, sealed_private_key FROM report_key_grants "
        "WHERE report_seq = ? AND purpose = ? ORDER BY unit_key_id DESC",
        (seq, purpose),
    )
    return [(int(r[0]), bytes(r[1])) for r in rows]


async def items(db: Database, seq: int, kinds: tuple[str, ...] | None = None) -> list[ItemRow]:
    """The items of a report in the order they were added, optionally only some kinds."""
    if kinds:
        marks = ",".join("?" * len(kinds))
        rows = await db.fetch_all(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE report_seq = ? AND kind IN ({marks}) "  # noqa: S608
            "ORDER BY n",
            (seq, *kinds),
        )
    else:
        rows = await db.fetch_all(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE report_seq = ? ORDER BY n",  # noqa: S608
            (seq,),
        )
    return [_item(r) for r in rows]


async def add_item_tx(tx: aiosqlite.Connection, seq: int, item: NewItem, day: str) -> int:
    """Inside a transaction: append an item to a report and mark the report active today.

    An item authenticated at its position gets the next position here, under the write
    lock, so the position it signs is the one it is stored at (the unique index checks it).
    """
    item_id = new_row_key()
    n, authenticator = 0, item.authenticator
    if item.authenticate_at is not None:
        next_n = "SELECT coalesce(max(n), 0) + 1 FROM items WHERE report_seq = ?"
        async with tx.execute(next_n, (seq,)) as cur:
            row = await cur.fetchone()
        n = int(row[0]) if row else 1
        authenticator = item.authenticate_at(n)
    await tx.execute(
        _INSERT_ITEM,
        (
            item_id,
            seq,
            item.kind,
            day,
            item.author_staff_id,
            item.ciphertext,
            item.key_for_unit,
            item.key_for_reporter,
            authenticator,
            n,
        ),
    )
    await tx.execute("UPDATE reports SET last_activity_day = ? WHERE seq = ?", (day, seq))
    return item_id


async def item_positions(db: Database, seq: int) -> list[int]:
    """The positions of every item of a report, in order (to find one deleted: reports/thread_gaps.py)."""
    rows = await db.fetch_all("SELECT n FROM items WHERE report_seq = ? AND n > 0 ORDER BY n", (seq,))
    return [int(r[0]) for r in rows]


async def authenticators_before(db: Database, seq: int, n: int, *kinds: str) -> list[bytes]:
    """The authenticators of a report's items of these kinds before position `n` (BLOBs only)."""
    marks = ",".join("?" * len(kinds))
    rows = await db.fetch_all(
        f"SELECT authenticator FROM items WHERE report_seq = ? AND kind IN ({marks}) AND n < ? "  # noqa: S608
        "AND typeof(authenticator) = 'blob'",
        (seq, *kinds, n),
    )
    return [bytes(r[0]) for r in rows]


async def add_item(db: Database, seq: int, item: NewItem, day: str) -> int:
    """Append an item to a report and mark the report active today."""
    async with db.transaction() as tx:
        return await add_item_tx(tx, seq, item, day)


async def list_unit_reports(db: Database, unit_id: str, limit: int, offset: int) -> list[ReportRow]:
    """One page of a unit's reports, newest day first (no order within a day)."""
    rows = await db.fetch_all(
        f"SELECT {_REPORT_COLUMNS} FROM reports WHERE unit_id = ? "  # noqa: S608
        "ORDER BY created_day DESC, seq DESC LIMIT ? OFFSET ?",
        (unit_id, limit, offset),
    )
    return [_report(r) for r in rows]


async def count_unit_reports(db: Database, unit_id: str) -> int:
    r = await db.fetch_one("SELECT count(*) FROM reports WHERE unit_id = ?", (unit_id,))
    return int(r[0]) if r else 0


async def untagged_desk_reports(db: Database, desk_id: str, limit: int) -> list[tuple[int, str]]:
    """(seq, id) of reports at the desk whose named force has no keyed tag yet (newest first)."""
    rows = await db.fetch_all(
        "SELECT seq, id FROM reports WHERE unit_id = ? AND named_force_tag IS NULL AND channel <> 'package' "
        "ORDER BY created_day DESC, seq DESC LIMIT ?",
        (desk_id, limit),
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def set_named_force_tags(db: Database, tags: Iterable[tuple[int, bytes]]) -> None:
    """Store each report's keyed tag of the force it names (computed in a desk session)."""
    async with db.transaction() as tx:
        await tx.executemany(
            "UPDATE reports SET named_force_tag = ? WHERE seq = ? AND named_force_tag IS NULL",
            [(tag, seq) for seq, tag in tags],
        )
