"""Who may touch which report: the unit check and the key check every case use case starts with."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import envelope
from dropbox_server.custody.keyring import ROLES_WITH_UNIT_KEYS, UnlockedStaff
from dropbox_server.reports.casework import open_report_key
from dropbox_server.reports.report_keys import ReportKeys, with_earlier
from dropbox_server.store import Database, ReportRow, units
from dropbox_server.store import reports as report_store


class CaseNotFound(Exception):
    """No such report in this member of staff's unit (another unit's looks exactly the same)."""


class RoleNotAllowed(Exception):
    """This role may not read reports (call handlers write them; they never read them)."""


@dataclass(frozen=True, repr=False)
class Case:
    """A report in the caller's unit, with its private key opened by one of the unit's keys."""

    report: ReportRow
    report_key: bytes  # the newest: new items are sealed to its public half
    unit_keys: dict[int, bytes]
    keys: ReportKeys  # every key the report has had, to open what came before a hand-over

    def __repr__(self) -> str:
        return f"Case({self.report.id})"


def require_reader(staff: UnlockedStaff) -> None:
    """Refuse roles without unit keys before anything is looked up."""
    if staff.staff.role not in ROLES_WITH_UNIT_KEYS:
        raise RoleNotAllowed(staff.staff.role)


async def own_unit_keys(db: Database, staff: UnlockedStaff) -> dict[int, bytes]:
    """Only the unlocked keys that belong to the caller's own unit's ring.

    Security: even if a key of another unit were ever sealed to this person, it is not
    used here; reports are opened with the caller's unit's keys or not at all.
    """
    ring = {k.id for k in await units.unit_keys(db, staff.staff.unit_id)}
    if not ring <= staff.unit_keys.keys():
        # The unit's key was rotated since sign-in: open the new copies sealed to this person,
        # so reports sealed to the new key are readable without signing in again.
        for grant in await units.grants_for_staff(db, staff.staff.id):
            if grant.unit_key_id in ring and grant.unit_key_id not in staff.unit_keys:
                staff.unit_keys[grant.unit_key_id] = envelope.unseal(
                    staff.private_key, grant.sealed_private_key
                )
    return {kid: key for kid, key in staff.unit_keys.items() if kid in ring}


async def load_case(db: Database, staff: UnlockedStaff, report_id: str) -> Case:
    """The report if it is in the caller's unit AND the unit's keys open it.

    Security: both checks must pass. A report of another unit gives CaseNotFound, the same
    as an id that does not exist, so its existence is not revealed.
    """
    require_reader(staff)
    if not report_id.isalnum() or len(report_id) > 32:
        raise CaseNotFound(report_id)
    report = await report_store.get_report(db, report_id)
    if report is None or report.unit_id != staff.staff.unit_id:
        raise CaseNotFound(report_id)
    keys = await own_unit_keys(db, staff)
    try:
        report_key = await open_report_key(db, report, keys)
    except envelope.EnvelopeError:
        report_key = None
    if report_key is None:
        raise CaseNotFound(report_id)
    earlier = await with_earlier(db, report, report_key)
    return Case(report=report, report_key=report_key, unit_keys=keys, keys=earlier)
