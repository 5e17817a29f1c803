"""The unit's side: open a report with unit keys, reply through the receipt, keep notes."""

from __future__ import annotations

from dataclasses import dataclass, replace

from dropbox_server import envelope
from dropbox_server.custody import certify
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.custody.signing import Signer, current_signer
from dropbox_server.reports.authenticity import (
    Authenticity,
    check_follow_up,
    check_reply,
    follow_up_files_part,
    reply_files_part,
    reply_signer,
)
from dropbox_server.reports.content import ContactDetails, ReportContent, item_context
from dropbox_server.reports.package_content import PackageContent
from dropbox_server.reports.report_keys import ReportKeys, with_earlier
from dropbox_server.reports.thread_gaps import gaps_before, missing_positions
from dropbox_server.store import Database, ItemRow, NewItem, ReportRow
from dropbox_server.store import files as file_store
from dropbox_server.store import reports as report_store
from dropbox_server.store.files import FileRow


class NoReporter(Exception):
    """An intelligence package has no reporter: nothing can be sealed to a receipt for it."""


class NotReadable(Exception):
    """None of the keys held opens this report (another unit's, or a key was revoked)."""


@dataclass(frozen=True)
class CaseMessage:
    id: int
    kind: str  # reporter_message, unit_reply or note
    day: str
    author_staff_id: int | None
    text: str
    # Replies: signed by a unit that held the report? Follow-ups: made with the receipt key?
    # "failed" is marked in the unit's view; "before_signing" items predate the checks.
    authenticity: Authenticity = "verified"
    # An item is missing just before this one: deleted from the database (thread_gaps.py).
    gap_before: bool = False


@dataclass(frozen=True)
class OpenedReport:
    report: ReportRow
    content: ReportContent
    contact: ContactDetails | None
    messages: tuple[CaseMessage, ...]
    # Was the report made with the receipt whose public key is stored? "failed" means the
    # link to the reporter is broken, and every "message from the reporter" is failed too.
    # A package has no reporter: this check does not apply to it (left "verified").
    authenticity: Authenticity = "verified"
    package: PackageContent | None = None  # a package's latest approved version


def _body(report: ReportRow, raw: bytes) -> tuple[ReportContent, PackageContent | None]:
    """A report's form, or a package's body (of which only force and conduct are report-like)."""
    if report.is_package:
        package = PackageContent.from_bytes(raw)
        return ReportContent(force=package.force, conduct=package.conduct), package
    return ReportContent.from_bytes(raw), None


async def open_report_key(
    db: Database, report: ReportRow, unit_keys: dict[int, bytes], purpose: str = "content"
) -> bytes | None:
    """The report's (or its contact details') private key, if one of `unit_keys` opens it."""
    for unit_key_id, sealed in await report_store.report_grants(db, report.seq, purpose):
        private = unit_keys.get(unit_key_id)
        if private is not None:
            return envelope.unseal(private, sealed)
    return None


def _open_item(report: ReportRow, report_key: bytes, kind: str, ciphertext: bytes, sealed: bytes) -> bytes:
    key = envelope.unseal(report_key, sealed)
    return envelope.decrypt(key, ciphertext, item_context(report.id, kind))


async def _message(
    db: Database, report: ReportRow, keys: ReportKeys, item: ItemRow, files: list[FileRow]
) -> CaseMessage:
    """One message of the thread, opened and checked; one that does not open is marked failed.

    Security: an item sealed to a key after that key was retired (a hand-over) is failed:
    only the unit it was passed from could have made it.
    """
    try:
        private, limit = keys.opener(item.key_for_unit)
        raw = _open_item(report, private, item.kind, item.ciphertext, item.key_for_unit)
        text = raw.decode("utf-8")
    except (envelope.EnvelopeError, UnicodeDecodeError):
        return CaseMessage(item.id, item.kind, item.created_day, item.author_staff_id, "", "failed")
    status: Authenticity = "verified"
    if item.kind == "reporter_message" and report.reporter_public_key is None:
        status = "failed"  # a package has no reporter: a "message from the reporter" was planted
    elif item.kind == "reporter_message" and report.reporter_public_key is not None:
        status = await check_follow_up(
            db, private, report.reporter_public_key, report.id, item, raw, follow_up_files_part(files)
        )
    elif item.kind == "unit_reply":
        status = await check_reply(db, report.seq, report.id, item, raw, reply_files_part(files))
    if limit is not None and item.n > limit:
        status = "failed"
    return CaseMessage(item.id, item.kind, item.created_day, item.author_staff_id, text, status)


async def open_report(db: Database, report: ReportRow, unit_keys: dict[int, bytes]) -> OpenedReport:
    """Decrypt every part of a report the given unit keys can reach, checking who wrote each message."""
    report_key = await open_report_key(db, report, unit_keys)
    if report_key is None:
        raise NotReadable(report.id)
    keys = await with_earlier(db, report, report_key)
    contact_key = await open_report_key(db, report, unit_keys, "contact")
    content: ReportContent | None = None
    package: PackageContent | None = None
    contact: ContactDetails | None = None
    messages = []
    positions: list[int] = []  # of every item, and of the messages shown
    shown: list[int] = []
    anchor: Authenticity = "verified"
    files: dict[int, list[FileRow]] = {}
    for row in await file_store.files_of_report(db, report.seq):
        files.setdefault(row.item_id, []).append(row)
    for item in await report_store.items(db, report.seq):
        positions.append(item.n)
        if item.kind == "contact":
            if contact_key is not None:
                raw = _open_item(report, contact_key, item.kind, item.ciphertext, item.key_for_unit)
                contact = ContactDetails.from_bytes(raw)
            continue
        if item.kind == "report":
            private = keys.opener(item.key_for_unit)[0]
            raw = _open_item(report, private, item.kind, item.ciphertext, item.key_for_unit)
            content, package = _body(report, raw)  # a package's later versions replace earlier
            if report.reporter_public_key is not None:
                anchor = await check_follow_up(
                    db, private, report.reporter_public_key, report.id, item, raw, []
                )
        else:
            messages.append(await _message(db, report, keys, item, files.get(item.id, [])))
            shown.append(item.n)
    if content is None:
        raise NotReadable(report.id)
    gaps = gaps_before(shown, missing_positions(positions, report.contact_scope != "none"))
    messages = [replace(m, gap_before=True) if n in gaps else m for m, n in zip(messages, shown, strict=True)]
    if anchor == "failed":
        messages = [
            replace(m, authenticity="failed") if m.kind == "reporter_message" else m for m in messages
        ]
    return OpenedReport(
        report=report,
        content=content,
        contact=contact,
        messages=tuple(messages),
        authenticity=anchor,
        package=package,
    )


def reply_item(
    report: ReportRow, staff_id: int, text: str, signer: Signer, day: str, files: list[bytes] | None = None
) -> NewItem:
    """A reply through the receipt: its key sealed to the reporter and to the report, signed.

    Security: once stored, nobody on the server can read the reporter's copy without the
    receipt; the unit reads its own copy through the report key. The unit's signature over
    the report, the reply's position, day, text and `files` (authenticity.reply_files_part)
    lets the reporter's page tell it from a box someone planted in the database, or moved.
    """
    if report.reporter_public_key is None:
        raise NoReporter(report.id)
    raw = text.encode("utf-8")
    blob, key_for_unit, item_key = envelope.seal_new_item(
        report.report_public_key, raw, item_context(report.id, "unit_reply")
    )
    return NewItem(
        kind="unit_reply",
        ciphertext=blob,
        key_for_unit=key_for_unit,
        key_for_reporter=envelope.seal(report.reporter_public_key, item_key),
        author_staff_id=staff_id,
        authenticate_at=reply_signer(signer, report.id, day, raw, files or []),
    )


def note_item(report: ReportRow, staff_id: int, text: str) -> NewItem:
    """An internal note the reporter never sees: its key is sealed to the report key only."""
    blob, key, _ = envelope.seal_new_item(
        report.report_public_key, text.encode("utf-8"), item_context(report.id, "note")
    )
    return NewItem(kind="note", ciphertext=blob, key_for_unit=key, author_staff_id=staff_id)


async def reply_to_reporter(
    db: Database, report: ReportRow, staff: UnlockedStaff, text: str, day: str
) -> int:
    """Store a reply through the receipt, signed with the unit's current key (see `reply_item`)."""
    signer = await current_signer(db, report.unit_id, staff.unit_keys)
    await certify.reporter_public(db, report)
    item = reply_item(report, staff.staff.id, text, signer, day)
    return await report_store.add_item(db, report.seq, item, day)


async def add_note(db: Database, report: ReportRow, staff_id: int, text: str, day: str) -> int:
    """Store an internal note the reporter never sees."""
    await certify.report_public(db, report)
    return await report_store.add_item(db, report.seq, note_item(report, staff_id, text), day)
