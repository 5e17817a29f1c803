"""The unit inbox: one page of reports, newest first, with unread markers and faceted counts."""

from __future__ import annotations

from dataclasses import dataclass, replace

from dropbox_server import audit, envelope
from dropbox_server.clock import today
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.forces import FORCES_BY_ID
from dropbox_server.reports.access import own_unit_keys, require_reader
from dropbox_server.reports.content import ReportContent, item_context
from dropbox_server.reports.desk_tags import named_force_filter, tag_desk_reports
from dropbox_server.reports.package_content import PackageContent
from dropbox_server.store import Database, ReportRow
from dropbox_server.store import assignments as assignment_store
from dropbox_server.store import authenticity as authenticity_store
from dropbox_server.store import reports as report_store
from dropbox_server.store.assignments import Combos
from dropbox_server.store.casework import (
    InboxFilter as InboxFilter,  # re-exported: the staff site builds the filter it passes in
)
from dropbox_server.store.casework import (
    InboxRow,
    SealedSummary,
    count_matching,
    count_named_force,
    count_quiet,
    facet_counts,
    inbox_page,
    sealed_summaries,
)

PAGE_SIZE = 25
SUMMARY_CHARS = 140


@dataclass(frozen=True)
class InboxEntry:
    report: ReportRow
    unread: bool
    force: str  # the force the reporter named, or "" when unknown
    summary: str  # the start of "what happened"; "" when the row could not be opened
    assignee: int | None  # the member of staff handling it, if the supervisor assigned one


@dataclass(frozen=True)
class Facets:
    """How many of the unit's reports have each outcome, conduct and channel."""

    outcome: dict[str, int]
    conduct: dict[str, int]
    channel: dict[str, int]
    matching: int  # reports matching every filter in force
    total: int
    caseloads: dict[int, int]  # reports assigned to each member (whole caseload, no filters)
    unassigned: int  # the unit's reports assigned to nobody


@dataclass(frozen=True)
class InboxPage:
    entries: tuple[InboxEntry, ...]
    facets: Facets
    newer_cursor: str | None  # report id to page towards newer reports
    older_cursor: str | None


def _facets(combos: Combos, where: InboxFilter, total: int, caseloads: dict[int, int]) -> Facets:
    """Each facet counts the reports matching the *other* filters, so counts add up on screen.

    `combos` are already limited by the assignment filter, if one is in force.
    """
    outcome: dict[str, int] = {}
    conduct: dict[str, int] = {}
    channel: dict[str, int] = {}
    matching = 0
    for o, c, ch, n in combos:
        ok_o = where.outcome in (None, o)
        ok_c = where.conduct in (None, c)
        ok_ch = where.channel in (None, ch)
        if ok_c and ok_ch:
            outcome[o] = outcome.get(o, 0) + n
        if ok_o and ok_ch:
            conduct[c] = conduct.get(c, 0) + n
        if ok_o and ok_c:
            channel[ch] = channel.get(ch, 0) + n
        if ok_o and ok_c and ok_ch:
            matching += n
    unassigned = total - sum(caseloads.values())
    return Facets(outcome, conduct, channel, matching, total, caseloads, unassigned)


def _minus(combos: Combos, taken: Combos) -> Combos:
    left = {(o, c, ch): n for o, c, ch, n in combos}
    for o, c, ch, n in taken:
        left[(o, c, ch)] = left.get((o, c, ch), 0) - n
    return [(o, c, ch, n) for (o, c, ch), n in left.items() if n > 0]


async def _facets_for(db: Database, unit_id: str, where: InboxFilter) -> Facets:
    """Counts for the page, reading whichever side of an assignment filter is the smaller."""
    unit_combos = await facet_counts(db, unit_id)
    total = sum(n for *_, n in unit_combos)
    caseloads = await assignment_store.caseloads(db, unit_id)
    combos = unit_combos
    if where.assignee is not None:
        combos = await assignment_store.assigned_facets(db, unit_id, where.assignee)
    elif where.unassigned:
        assigned = sum(caseloads.values())
        if assigned <= total - assigned:
            combos = _minus(unit_combos, await assignment_store.assigned_facets(db, unit_id, None))
        else:
            combos = await assignment_store.unassigned_facets(db, unit_id)
    facets = _facets(combos, where, total, caseloads)
    if where.named_force or where.desk_state or where.reporter_quiet_since or where.searching:
        # The desk's filters are not among the kept facets: count the matches directly
        # (one indexed query over the desk's reports).
        facets = replace(facets, matching=await _count_desk(db, unit_id, where))
    return facets


async def _count_desk(db: Database, unit_id: str, where: InboxFilter) -> int:
    """The desk filters' count: "reporter quiet" alone is summed from day counts, "force
    named" alone read from its tag's count; any other mix is counted from the reports' indexes."""
    quiet_only = InboxFilter(reporter_quiet_since=where.reporter_quiet_since)
    if where.reporter_quiet_since is not None and where == quiet_only:
        return await count_quiet(db, unit_id, where.reporter_quiet_since)
    named_only = InboxFilter(named_force=where.named_force, named_force_tag=where.named_force_tag)
    if where.named_force_tag is not None and where == named_only:
        return await count_named_force(db, unit_id, where.named_force_tag)
    return await count_matching(db, unit_id, where)


def _walk_back(report_key: bytes, chain: list[bytes], sealed: bytes) -> bytes:
    """The item key in `sealed`, opened with the newest report key or, failing that, each
    earlier one in turn; raises EnvelopeError when none opens it."""
    for sealed_earlier in chain:
        try:
            return envelope.unseal(report_key, sealed)
        except envelope.EnvelopeError:
            report_key = envelope.unseal(report_key, sealed_earlier)
    return envelope.unseal(report_key, sealed)


def _open_summary(
    report: ReportRow, sealed: SealedSummary | None, keys: dict[int, bytes], chain: list[bytes]
) -> tuple[str, str]:
    """(force name, start of 'what happened') for one row, opened with the unit's own keys.

    The report itself was sealed to the report's first key pair, but a package's latest
    version to whichever pair it had at approval: for a report passed on, walk back from the
    newest key through `chain` (report_keys.py) until one opens it.
    """
    if sealed is None:
        return "", ""
    for key_id, grant in sealed.grants:
        private = keys.get(key_id)
        if private is None:
            continue
        try:
            item_key = _walk_back(envelope.unseal(private, grant), chain, sealed.key_for_unit)
            raw = envelope.decrypt(item_key, sealed.ciphertext, item_context(report.id, "report"))
        except envelope.EnvelopeError:
            return "", ""
        content = PackageContent.from_bytes(raw) if report.is_package else ReportContent.from_bytes(raw)
        force = FORCES_BY_ID[content.force].name if content.force in FORCES_BY_ID else ""
        text = " ".join(content.what_happened.split())
        return force, text[:SUMMARY_CHARS] + ("…" if len(text) > SUMMARY_CHARS else "")
    return "", ""


async def _cursor(
    db: Database, unit_id: str, direction: str, report_id: str | None
) -> tuple[str, str, int] | None:
    if not report_id:
        return None
    found = await report_store.get_report(db, report_id) if report_id.isalnum() else None
    if found is None or found.unit_id != unit_id:
        return None
    return direction, found.created_day, found.seq


def _page_detail(where: InboxFilter, cursor: tuple[str, str, int] | None, rows: list[InboxRow]) -> str:
    """Which page was shown: position, filters (codes) and the ids listed; never any content."""
    position = "first" if cursor is None else f"{cursor[0]}"
    filters = ",".join(
        f"{name}={value}"
        for name, value in (
            ("outcome", where.outcome),
            ("conduct", where.conduct),
            ("channel", where.channel),
            ("assignee", where.assignee),
            ("unassigned", "yes" if where.unassigned else None),
            # Security: that the named force was filtered on, never which (the ids shown would
            # then say which force each desk report names: M1).
            ("named_force", "yes" if where.named_force is not None else None),
            ("desk_state", where.desk_state),
            ("quiet_since", where.reporter_quiet_since),
            ("report", where.report_id),
            # Security: that a subject was searched for, never the (keyed) digests searched.
            ("subject", "yes" if where.subject is not None else None),
        )
        if value is not None
    )
    shown = ",".join(r.report.id for r in rows)
    return f"page={position} filters={filters or 'none'} shown={shown or 'none'}"


async def inbox(
    db: Database,
    staff: UnlockedStaff,
    where: InboxFilter,
    before: str | None = None,
    after: str | None = None,
    page_size: int = PAGE_SIZE,
) -> InboxPage:
    """One page of the caller's unit's reports; only the rows on the page are decrypted.

    Security: the query is limited to the caller's unit, and rows are opened only with keys
    of that unit's ring; a row whose grant does not open shows no content. Each page shown
    is audited (`inbox_viewed`): it decrypts the start of up to 25 reports.
    """
    require_reader(staff)
    unit_id = staff.staff.unit_id
    day = today()
    # Security: the named force is filtered on through the desk's keyed tags, never in clear (M1).
    await tag_desk_reports(db, staff, day)
    if where.named_force is not None:
        where = replace(where, named_force_tag=await named_force_filter(db, staff, where.named_force, day))
    cursor = await _cursor(db, unit_id, "after", after) or await _cursor(db, unit_id, "before", before)
    rows = await inbox_page(db, unit_id, staff.staff.id, where, cursor, page_size + 1)
    more = len(rows) > page_size
    if cursor is not None and cursor[0] == "after":
        rows = rows[-page_size:] if more else rows
    else:
        rows = rows[:page_size]
    keys = await own_unit_keys(db, staff)
    seqs = [r.report.seq for r in rows]
    sealed, chains = await sealed_summaries(db, seqs), await authenticity_store.sealed_chains(db, seqs)
    entries = []
    for row in rows:
        force, summary = _open_summary(
            row.report, sealed.get(row.report.seq), keys, chains.get(row.report.seq, [])
        )
        entries.append(InboxEntry(row.report, row.unread, force, summary, row.assignee))
    await audit.record(
        db, audit.pending("inbox_viewed", staff=staff.staff, detail=_page_detail(where, cursor, rows))
    )
    going_newer = cursor is not None and cursor[0] == "after"
    has_newer = (more if going_newer else cursor is not None) and bool(rows)
    has_older = (True if going_newer else more) and bool(rows)
    return InboxPage(
        entries=tuple(entries),
        facets=await _facets_for(db, unit_id, where),
        newer_cursor=rows[0].report.id if has_newer else None,
        older_cursor=rows[-1].report.id if has_older else None,
    )
