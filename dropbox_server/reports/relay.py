"""Two-way messaging through the desk: a force never writes to the reporter itself.

The force sends the desk a question for the reporter (or a closing message) on a package;
it is sealed to the package key, which the desk and the holding force hold. The desk words
it for the reporter and sends it through the receipt with the ordinary reply (so it is
sealed to the reporter's key), marks the request relayed or declined, and turns the answer
into a package update under the two-person rule (reports/packages.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import audit, envelope
from dropbox_server.clock import today
from dropbox_server.custody import certify
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.reports.access import Case, CaseNotFound, load_case, own_unit_keys
from dropbox_server.reports.case_actions import MessageError, check_message
from dropbox_server.reports.casework import open_report_key
from dropbox_server.reports.content import item_context
from dropbox_server.reports.package_links import (
    audit_ref,
    desk_subject_key,
    draft_private,
    open_draft_link,
    package_tag,
)
from dropbox_server.reports.packages import desk_case, require_desk
from dropbox_server.reports.report_keys import ReportKeys, with_earlier
from dropbox_server.store import Database, ReportRow
from dropbox_server.store import packages as package_store
from dropbox_server.store import relay as relay_store
from dropbox_server.store import reports as report_store
from dropbox_server.store.relay import RelayRow

KINDS = ("question", "closing")


@dataclass(frozen=True)
class RelayMessage:
    id: int
    package_id: str
    kind: str
    state: str
    from_unit_id: str
    staff_id: int | None
    day: str
    text: str


def _context(package_id: str, kind: str) -> bytes:
    return item_context(package_id, f"relay_{kind}")


def _open(row: RelayRow, package: ReportRow, keys: ReportKeys) -> RelayMessage:
    """One force message, opened with whichever of the package's key pairs it was sealed to
    (a package passed on has a new key pair; messages from before are under an earlier one)."""
    key = keys.unseal(row.key_for_unit)
    text = envelope.decrypt(key, row.ciphertext, _context(package.id, row.kind)).decode("utf-8")
    return RelayMessage(
        row.id, package.id, row.kind, row.state, row.from_unit_id, row.staff_id, row.day, text
    )


async def ask_desk(
    db: Database, staff: UnlockedStaff, report_id: str, kind: str, text: str, limit: int, day: str
) -> int:
    """A force member sends the desk a question for the reporter, or a closing message."""
    case = await load_case(db, staff, report_id)
    if not case.report.is_package:
        raise MessageError("not_package")
    if kind not in KINDS:
        raise MessageError("empty")
    blob, key, _ = envelope.seal_new_item(
        await certify.report_public(db, case.report),
        check_message(text, limit).encode("utf-8"),
        _context(case.report.id, kind),
    )
    row = RelayRow(0, case.report.seq, kind, "open", case.report.unit_id, staff.staff.id, day, blob, key)
    entry = audit.pending("relay_asked", staff=staff.staff, report_id=case.report.id, detail=f"kind={kind}")
    return await relay_store.insert(db, row, entry)


async def package_messages(db: Database, staff: UnlockedStaff, report_id: str) -> tuple[RelayMessage, ...]:
    """What the holding force sent the desk about this package (for its own case page)."""
    case = await load_case(db, staff, report_id)
    if not case.report.is_package:
        return ()
    keys = await with_earlier(db, case.report, case.report_key)
    return tuple(_open(r, case.report, keys) for r in await relay_store.of_package(db, case.report.seq))


async def desk_requests(db: Database, staff: UnlockedStaff, case: Case) -> tuple[RelayMessage, ...]:
    """Every force message about the packages made from a desk report, opened with desk keys."""
    require_desk(staff)
    keys = await own_unit_keys(db, staff)
    out: list[RelayMessage] = []
    seqs = set()
    for row in await package_store.drafts_of(db, case.report.seq):
        private = draft_private(keys, row)
        if private is not None and (seq := (await open_draft_link(db, private, row)).package_seq):
            seqs.add(seq)
    for seq in sorted(seqs):
        package = await report_store.get_report_by_seq(db, seq)
        key = await open_report_key(db, package, keys) if package else None
        if package is None or key is None:
            continue
        every_key = await with_earlier(db, package, key)
        out.extend(_open(r, package, every_key) for r in await relay_store.of_package(db, seq))
    return tuple(out)


async def settle_request(db: Database, staff: UnlockedStaff, request_id: int, relayed: bool) -> str:
    """The desk marks a force's message as sent on to the reporter (in its own words) or
    declined; returns the desk report's id."""
    require_desk(staff)
    row = await relay_store.get(db, request_id)
    package = await report_store.get_report_by_seq(db, row.package_seq) if row else None
    source_seq = None
    subject_key = await desk_subject_key(db, staff, today())
    if package is not None:
        # Security: the package's drafts are found by its keyed tag, in this desk session (M2).
        tag = package_tag(subject_key, package.id)
        source_seq = await package_store.source_of_package(db, tag, package.id)
    source = await report_store.get_report_by_seq(db, source_seq) if source_seq else None
    if row is None or source is None:
        raise CaseNotFound(str(request_id))
    await desk_case(db, staff, source.id)  # the desk holds the report the package came from
    state = "relayed" if relayed else "declined"
    action = "relay_sent" if relayed else "relay_declined"
    # Security: the request's id would lead from the desk report to the package (M2); so would
    # the desk report's id, right after the force's `relay_asked` naming the package (F5).
    entry = audit.pending(action, staff=staff.staff, detail=audit_ref(subject_key, source.id))
    if not await relay_store.settle(db, row.id, state, entry):
        raise MessageError("settled")
    return source.id


async def close_at_desk(db: Database, staff: UnlockedStaff, report_id: str) -> None:
    """The desk closes a report; the reporter then sees "closed" and nothing more."""
    case = await desk_case(db, staff, report_id)
    entry = audit.pending("desk_closed", staff=staff.staff, report_id=case.report.id)
    await package_store.set_desk_state(db, case.report.seq, "closed", entry)
