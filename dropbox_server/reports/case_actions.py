"""Writing to a case as a unit: replies through the receipt and internal notes, each audited."""

from __future__ import annotations

from dropbox_server import audit
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.reports.access import load_case
from dropbox_server.reports.casework import note_item, reply_item
from dropbox_server.store import Database
from dropbox_server.store import casework as casework_store


class MessageError(Exception):
    """The message cannot be sent; `code` says why ('empty' or 'too_long')."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check_message(text: str, limit: int) -> str:
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned:
        raise MessageError("empty")
    if len(cleaned) > limit:
        raise MessageError("too_long")
    return cleaned


async def reply(db: Database, staff: UnlockedStaff, report_id: str, text: str, limit: int, day: str) -> int:
    """Reply to the reporter of a report in the caller's unit; readable with the receipt."""
    case = await load_case(db, staff, report_id)
    item = reply_item(case.report, staff.staff.id, check_message(text, limit))
    entry = audit.pending("reply", staff=staff.staff, report_id=case.report.id)
    item_id = await casework_store.add_item_audited(db, case.report.seq, item, day, entry)
    await casework_store.mark_read(db, staff.staff.id, case.report.seq)
    return item_id


async def note(db: Database, staff: UnlockedStaff, report_id: str, text: str, limit: int, day: str) -> int:
    """Add an internal note to a report in the caller's unit; the reporter never sees it."""
    case = await load_case(db, staff, report_id)
    item = note_item(case.report, staff.staff.id, check_message(text, limit))
    entry = audit.pending("note", staff=staff.staff, report_id=case.report.id)
    item_id = await casework_store.add_item_audited(db, case.report.seq, item, day, entry)
    await casework_store.mark_read(db, staff.staff.id, case.report.seq)
    return item_id
