"""Where a new report goes: to the independent desk, or (direct routing) to the named force.

Why the desk is the default: the people reported work inside policing, and a reporter's
own words ("he came to my flat after I reported a burglary in March") let colleagues of the
accused recognise the writer. With `desk` routing every online report and phone call is
sealed to the desk's key ring, whatever force it names; the force sees only packages a
second desk member approved (reports/packages.py). `direct` is today's behaviour for a
force that runs its own service: the named force's unit, or the national hub when the force
is unknown or the subject works in that force's own professional standards unit.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from dropbox_server.forces import DESK_ID, FORCES_BY_ID, HUB_ID
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.unit_choices import active_force_ids
from dropbox_server.store import Database
from dropbox_server.store import deployment as deployment_store
from dropbox_server.store.deployment import DESK

UNKNOWN_FORCE = "unknown"


@dataclass(frozen=True)
class Route:
    """The unit a report is sealed to, and the clear metadata that goes with it."""

    unit_id: str
    desk_state: str | None  # Security: the force a desk report names stays sealed inside it (M1)


def route_direct(content: ReportContent, active: Collection[str] | None = None) -> str:
    """Direct routing: unknown force, a conflict of interest, or a force whose unit is not in
    `active` (retired, or never created; None: the seeded list) → the national hub."""
    known = FORCES_BY_ID if active is None else active
    if content.force == UNKNOWN_FORCE or content.conflict or content.force not in known:
        return HUB_ID
    return content.force


async def desk_routing(db: Database) -> bool:
    """Whether new reports go to the desk (pages say who reads what the reporter writes)."""
    return await deployment_store.routing(db) == DESK


async def route_report(db: Database, content: ReportContent) -> Route:
    """The route for a new report under this deployment's routing.

    Security: under desk routing the hub and conflict rules become the desk's judgement
    (it chooses the receiving unit of each package); the report itself never reaches a force.
    """
    active = await active_force_ids(db)
    if await deployment_store.routing(db) == DESK:
        return Route(DESK_ID, "new")
    return Route(route_direct(content, active), None)
