"""The sending unit's read-only record of the reports it passed to other units."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import envelope
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.reports.access import own_unit_keys, require_reader
from dropbox_server.reports.case_file import TRANSFER_REASON
from dropbox_server.reports.content import item_context
from dropbox_server.store import Database
from dropbox_server.store import retention as retention_store
from dropbox_server.store import transfers as transfer_store
from dropbox_server.store.retention import Withdrawn


@dataclass(frozen=True)
class PassedOn:
    report_id: str
    to_unit_id: str
    day: str
    reason: str  # "" if the unit key it was sealed to is no longer held
    contact_passed: bool
    conflict_override: bool


async def passed_on(db: Database, staff: UnlockedStaff) -> tuple[PassedOn, ...]:
    """What the caller's unit passed on: where, when and why, and nothing of the report itself.

    Security: the reason's item key was sealed to the sending unit's key; it opens only
    the reason. The report's own keys were re-sealed away, so nothing else opens.
    """
    require_reader(staff)
    keys = await own_unit_keys(db, staff)
    out = []
    for t in await transfer_store.transfers_from(db, staff.staff.unit_id):
        reason = ""
        private = keys.get(t.sender_unit_key_id)
        if private is not None:
            item_key = envelope.unseal(private, t.reason_key_for_sender)
            raw = envelope.decrypt(item_key, t.reason_ciphertext, item_context(t.report_id, TRANSFER_REASON))
            reason = raw.decode("utf-8")
        out.append(PassedOn(t.report_id, t.to_unit_id, t.day, reason, t.contact_passed, t.conflict_override))
    return tuple(out)


async def withdrawn(db: Database, staff: UnlockedStaff) -> list[Withdrawn]:
    """The unit's record of reports their reporters deleted: id and day, nothing else."""
    require_reader(staff)
    return await retention_store.withdrawn_for_unit(db, staff.staff.unit_id)
