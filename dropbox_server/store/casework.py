"""SQL for casework: the inbox page and its counts, read markers, audited items, outcomes."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database
from dropbox_server.store.records import NewItem, ReportRow
from dropbox_server.store.reports import _REPORT_COLUMNS, _report, add_item_tx

_R_COLUMNS = ", ".join(f"r.{c.strip()}" for c in _REPORT_COLUMNS.split(","))
# Unread: never opened by this member of staff, or the reporter has written since. `i.n > 0`
# is always true; it lets the planner use the partial index items_report (WHERE n > 0)
# instead of scanning every item for every row shown.
_UNREAD = (
    "(rr.seen_n IS NULL OR EXISTS (SELECT 1 FROM items i WHERE i.report_seq = r.seq "
    "AND i.n > 0 AND i.kind = 'reporter_message' AND i.n > rr.seen_n))"
)

_BY_UNIT = "reports r LEFT JOIN report_assignments a ON a.report_seq = r.seq"
_BY_ASSIGNEE = "report_assignments a CROSS JOIN reports r ON r.seq = a.report_seq"


@dataclass(frozen=True)
class InboxFilter:
    """Equality filters on clear routing metadata; None means any.

    `assignee` keeps the reports assigned to that member of staff; `unassigned` those
    assigned to nobody. Their clauses name the assignment joined in as `a`.
    """

    outcome: str | None = None
    conduct: str | None = None
    channel: str | None = None
    assignee: int | None = None
    unassigned: bool = False
    # At the desk: the force the reporter named, where the report stands, and reports whose
    # reporter last wrote on or before a day (the view turns "N days since" into that day).
    named_force: str | None = None  # the code, for the page and audit; SQL uses the tag
    named_force_tag: bytes | None = None  # its keyed digest (reports/desk_tags.py)
    desk_state: str | None = None
    reporter_quiet_since: str | None = None
    # Search: one report by its id, and the reports marked with any of these keyed digests
    # of the unit's subject key (subject key id, digests): see reports/repeat_subjects.py.
    report_id: str | None = None
    subject: tuple[int, tuple[bytes, ...]] | None = None

    @property
    def searching(self) -> bool:
        return self.report_id is not None or self.subject is not None

    def clauses(self, *, paging: bool = False) -> tuple[str, list[str | int | bytes]]:
        """SQL conditions on `r` (and `a`). `paging`: the day range is written `+column` so the
        planner walks the unit's reports newest first and stops at the page, rather than
        reading the whole range from its index and sorting it (counting wants the index)."""
        sql = ""
        params: list[str | int | bytes] = []
        if self.reporter_quiet_since is not None:
            sql += f" AND {'+' if paging else ''}r.reporter_last_day <= ?"
            params.append(self.reporter_quiet_since)
            if paging:
                # Implied, and said for the planner: a reporter last wrote on or after the day
                # the report arrived, so a quiet report arrived by that day too. The page's walk
                # then starts there, not at the newest report (skipping every recent one).
                sql += " AND r.created_day <= ?"
                params.append(self.reporter_quiet_since)
        for column in ("outcome", "conduct", "channel", "named_force_tag", "desk_state"):
            value = getattr(self, column)
            if value is not None:
                sql += f" AND r.{column} = ?"
                params.append(value)
        if self.report_id is not None:
            sql += " AND r.id = ?"
            params.append(self.report_id)
        if self.subject is not None:
            key_id, digests = self.subject
            marks = ",".join("?" * len(digests))
            inner = f"WHERE m.subject_key_id = ? AND m.digest IN ({marks or 'NULL'})"
            sql += f" AND r.seq IN (SELECT m.report_seq FROM subject_marks m {inner})"  # noqa: S608
            params.extend((key_id, *digests))
        if self.unassigned:
            sql += " AND a.staff_id IS NULL"
        elif self.assignee is not None:
            sql += " AND a.staff_id = ?"
            params.append(self.assignee)
        return sql, params


@dataclass(frozen=True)
class InboxRow:
    report: ReportRow
    unread: bool
    assignee: int | None = None


@dataclass(frozen=True)
class SealedSummary:
    """What opening one inbox row needs: the report key grants and the sealed form."""

    grants: tuple[tuple[int, bytes], ...]
    ciphertext: bytes
    key_for_unit: bytes


def _unit_column(where: InboxFilter) -> str:
    """`r.unit_id`, or `+r.unit_id` when searching: a search finds a few rows by their keys, so
    the planner must start from them rather than walk the unit's index testing every report."""
    return "+r.unit_id" if where.searching else "r.unit_id"


async def facet_counts(db: Database, unit_id: str) -> list[tuple[str, str, str, int]]:
    """(outcome, conduct, channel, count) for a unit, from the trigger-kept running counts."""
    rows = await db.fetch_all(
        "SELECT outcome, conduct, channel, reports FROM report_facets WHERE unit_id = ? AND reports > 0",
        (unit_id,),
    )
    return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]


async def count_matching(db: Database, unit_id: str, where: InboxFilter) -> int:
    """How many of a unit's reports match every filter (used when a filter is not faceted)."""
    extra, params = where.clauses()
    # A report has at most one assignment (its seq is the assignments' key), so the join is
    # read only when an assignment filter needs it: the count then stays inside one index.
    source = _BY_UNIT if where.assignee is not None or where.unassigned else "reports r"
    r = await db.fetch_one(
        f"SELECT count(*) FROM {source} WHERE {_unit_column(where)} = ?{extra}",  # noqa: S608
        (unit_id, *params),
    )
    return int(r[0]) if r else 0


async def count_quiet(db: Database, unit_id: str, since: str) -> int:
    """How many of a unit's reports were last written to by their reporter on or before `since`,
    from the trigger-kept day counts (report_quiet_days): at most one row a day to sum."""
    r = await db.fetch_one(
        "SELECT coalesce(sum(reports), 0) FROM report_quiet_days WHERE unit_id = ? AND day <= ?",
        (unit_id, since),
    )
    return int(r[0]) if r else 0


async def count_named_force(db: Database, unit_id: str, tag: bytes) -> int:
    """How many of a unit's reports carry a named-force tag, from the trigger-kept counts
    (report_named_force_counts): one row to read, however many reports match."""
    r = await db.fetch_one(
        "SELECT reports FROM report_named_force_counts WHERE unit_id = ? AND tag = ?", (unit_id, tag)
    )
    return int(r[0]) if r else 0


async def inbox_page(
    db: Database,
    unit_id: str,
    staff_id: int,
    where: InboxFilter,
    cursor: tuple[str, str, int] | None,
    limit: int,
) -> list[InboxRow]:
    """Up to `limit` rows, newest day first; cursor ('before'|'after', day, seq) pages by keyset.

    Within a day the order is the random row key: the database holds no finer order to show.
    Keyset paging keeps a deep page as fast as the first: no OFFSET scan. One member's
    cases are read from their assignments (CROSS JOIN fixes that order for the planner), so a
    small caseload in a large unit costs its size, not a walk down the unit's reports.
    """
    extra, params = where.clauses(paging=True)
    if where.assignee is not None:
        source, seq_column = _BY_ASSIGNEE, "a.report_seq"
    else:
        source, seq_column = _BY_UNIT, "r.seq"
    descending = True
    if cursor is not None:
        direction, day, seq = cursor
        descending = direction == "before"
        extra += f" AND (r.created_day, {seq_column}) {'<' if descending else '>'} (?, ?)"
        params.extend((day, seq))
    order = "DESC" if descending else "ASC"
    unit = _unit_column(where)
    rows = await db.fetch_all(
        f"SELECT {_R_COLUMNS}, {_UNREAD}, a.staff_id FROM {source} "  # noqa: S608
        "LEFT JOIN report_reads rr ON rr.report_seq = r.seq AND rr.staff_id = ? "
        f"WHERE {unit} = ?{extra} ORDER BY r.created_day {order}, {seq_column} {order} LIMIT ?",
        (staff_id, unit_id, *params, limit),
    )
    page = [
        InboxRow(_report(tuple(r)[:-2]), bool(r[-2]), None if r[-1] is None else int(r[-1])) for r in rows
    ]
    return page if descending else page[::-1]


async def sealed_summaries(db: Database, seqs: list[int]) -> dict[int, SealedSummary]:
    """Content grants and the sealed report form for the given reports, in two queries."""
    if not seqs:
        return {}
    marks = ",".join("?" * len(seqs))
    grants: dict[int, list[tuple[int, bytes]]] = {s: [] for s in seqs}
    for r in await db.fetch_all(
        "SELECT report_seq, unit_key_id, sealed_private_key FROM report_key_grants "  # noqa: S608
        f"WHERE purpose = 'content' AND report_seq IN ({marks}) ORDER BY unit_key_id DESC",
        seqs,
    ):
        grants[int(r[0])].append((int(r[1]), bytes(r[2])))
    out = {}
    for r in await db.fetch_all(
        "SELECT report_seq, ciphertext, key_for_unit FROM items "  # noqa: S608
        f"WHERE kind = 'report' AND report_seq IN ({marks}) ORDER BY n",  # a package's latest wins
        seqs,
    ):
        seq = int(r[0])
        out[seq] = SealedSummary(tuple(grants[seq]), bytes(r[1]), bytes(r[2]))
    return out


async def mark_read(db: Database, staff_id: int, seq: int) -> None:
    """Remember how far into a report's items this member of staff has now read."""
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO report_reads (staff_id, report_seq, seen_n) "
            "VALUES (?, ?, (SELECT coalesce(max(n), 0) FROM items WHERE report_seq = ?)) "
            "ON CONFLICT (staff_id, report_seq) DO UPDATE SET seen_n = excluded.seen_n",
            (staff_id, seq, seq),
        )


async def add_item_audited(db: Database, seq: int, item: NewItem, day: str, audit: PendingAudit) -> int:
    """Append a reply or note and its audit entry in one transaction."""
    async with db.transaction() as tx:
        item_id = await add_item_tx(tx, seq, item, day)
        await append_tx(tx, audit)
    return item_id
