"""The unit's side: open a report with unit keys, reply through the receipt, keep notes."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import envelope
from dropbox_server.reports.content import ContactDetails, ReportContent, item_context
from dropbox_server.reports.package_content import PackageContent
from dropbox_server.store import Database, NewItem, ReportRow
from dropbox_server.store import reports as report_store


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


@dataclass(frozen=True)
class OpenedReport:
    report: ReportRow
    content: ReportContent
    contact: ContactDetails | None
    messages: tuple[CaseMessage, ...]
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


async def open_report(db: Database, report: ReportRow, unit_keys: dict[int, bytes]) -> OpenedReport:
    """Decrypt every part of a report the given unit keys can reach."""
    report_key = await open_report_key(db, report, unit_keys)
    if report_key is None:
        raise NotReadable(report.id)
    contact_key = await open_report_key(db, report, unit_keys, "contact")
    content: ReportContent | None = None
    package: PackageContent | None = None
    contact: ContactDetails | None = None
    messages = []
    for item in await report_store.items(db, report.seq):
        if item.kind == "contact":
            if contact_key is not None:
                raw = _open_item(report, contact_key, item.kind, item.ciphertext, item.key_for_unit)
                contact = ContactDetails.from_bytes(raw)
            continue
        raw = _open_item(report, report_key, item.kind, item.ciphertext, item.key_for_unit)
        if item.kind == "report":
            content, package = _body(report, raw)  # a package's later versions replace earlier
        else:
            messages.append(
                CaseMessage(item.id, item.kind, item.created_day, item.author_staff_id, raw.decode("utf-8"))
            )
    if content is None:
        raise NotReadable(report.id)
    return OpenedReport(
        report=report, content=content, contact=contact, messages=tuple(messages), package=package
    )


def reply_item(report: ReportRow, staff_id: int, text: str) -> NewItem:
    """A reply through the receipt: its key sealed to the reporter and to the report.

    Security: once stored, nobody on the server can read the reporter's copy without the
    receipt; the unit reads its own copy through the report key.
    """
    if report.reporter_public_key is None:
        raise NoReporter(report.id)
    blob, key_for_unit, item_key = envelope.seal_new_item(
        report.report_public_key, text.encode("utf-8"), item_context(report.id, "unit_reply")
    )
    return NewItem(
        kind="unit_reply",
        ciphertext=blob,
        key_for_unit=key_for_unit,
        key_for_reporter=envelope.seal(report.reporter_public_key, item_key),
        author_staff_id=staff_id,
    )


def note_item(report: ReportRow, staff_id: int, text: str) -> NewItem:
    """An internal note the reporter never sees: its key is sealed to the report key only."""
    blob, key, _ = envelope.seal_new_item(
        report.report_public_key, text.encode("utf-8"), item_context(report.id, "note")
    )
    return NewItem(kind="note", ciphertext=blob, key_for_unit=key, author_staff_id=staff_id)


async def reply_to_reporter(db: Database, report: ReportRow, staff_id: int, text: str, day: str) -> int:
    """Store a reply through the receipt (see `reply_item`)."""
    return await report_store.add_item(db, report.seq, reply_item(report, staff_id, text), day)


async def add_note(db: Database, report: ReportRow, staff_id: int, text: str, day: str) -> int:
    """Store an internal note the reporter never sees."""
    return await report_store.add_item(db, report.seq, note_item(report, staff_id, text), day)
