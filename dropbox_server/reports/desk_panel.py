"""What the desk sees beside a report it holds: its packages, where each went, open requests."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.reports.access import Case, own_unit_keys
from dropbox_server.reports.package_links import draft_private, open_draft_link
from dropbox_server.reports.packages import require_desk
from dropbox_server.store import Database
from dropbox_server.store import packages as package_store
from dropbox_server.store import reports as report_store


@dataclass(frozen=True)
class PackageLine:
    draft_id: int
    to_unit_id: str
    state: str  # draft, submitted, approved
    author_staff_id: int | None
    package_id: str
    is_update: bool
    now_at: str  # the unit holding the delivered package today ("" until approved)
    rejected: bool


@dataclass(frozen=True)
class DeskPanel:
    lines: tuple[PackageLine, ...]
    delivered: tuple[tuple[str, str], ...]  # (package id, unit holding it now), one per package


async def desk_panel(db: Database, staff: UnlockedStaff, case: Case) -> DeskPanel:
    """Every draft and delivered package made from a desk report, with where each is now.

    Security: each draft's link (unit, package) is opened with the desk's keys (M2); a
    package's text is opened on its own page.
    """
    require_desk(staff)
    keys = await own_unit_keys(db, staff)
    lines = []
    delivered: dict[str, str] = {}
    for row in await package_store.drafts_of(db, case.report.seq):
        private = draft_private(keys, row)
        if private is None:
            continue
        d = await open_draft_link(db, private, row)
        now_at = ""
        if d.package_seq is not None and d.state == "approved":
            package = await report_store.get_report_by_seq(db, d.package_seq)
            now_at = package.unit_id if package else ""
            if package is not None:
                delivered[package.id] = package.unit_id
        update = d.is_update
        lines.append(
            PackageLine(
                d.id,
                d.to_unit_id,
                d.state,
                d.author_staff_id,
                d.package_id,
                update,
                now_at,
                row.rejection_ciphertext is not None,
            )
        )
    return DeskPanel(tuple(lines), tuple(delivered.items()))
