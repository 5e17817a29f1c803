"""What the staff site calls each role, what each role does, and where each starts.

One table, so that a refusal can name the viewer's own role and point to what they can do.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server.i18n import lazy


@dataclass(frozen=True)
class RoleGuide:
    """A role's name as staff read it (with its article), what it can do, and its starting page."""

    name: str
    can_do: str
    start: str
    start_label: str


ROLE_GUIDES = {
    "investigator": RoleGuide(
        lazy("an investigator"),
        lazy(
            "As an investigator you read and work on your unit's reports: reply, add notes, "
            "set outcomes and pass them on."
        ),
        "/inbox",
        lazy("Go to your inbox"),
    ),
    "supervisor": RoleGuide(
        lazy("a supervisor"),
        lazy(
            "As a supervisor you read your unit's reports, assign them to members of the "
            "unit and see its statistics."
        ),
        "/inbox",
        lazy("Go to your inbox"),
    ),
    "call_handler": RoleGuide(
        lazy("a call handler"),
        lazy(
            "As a call handler you type in reports taken by phone and help callers who have "
            "a receipt. You cannot read the unit's reports."
        ),
        "/intake",
        lazy("Take a report by phone"),
    ),
    "desk_analyst": RoleGuide(
        lazy("a desk analyst"),
        lazy(
            "As a desk analyst you read the reports that reach the desk and draft "
            "intelligence packages for forces."
        ),
        "/inbox",
        lazy("Go to your inbox"),
    ),
    "desk_supervisor": RoleGuide(
        lazy("a desk supervisor"),
        lazy(
            "As a desk supervisor you read the desk's reports, draft packages and approve "
            "other members' packages."
        ),
        "/inbox",
        lazy("Go to your inbox"),
    ),
    "security": RoleGuide(
        lazy("a member of security staff"),
        lazy(
            "As security staff you see the service's health here; keys and accounts are "
            "managed on the server's command line. You cannot read reports."
        ),
        "/health",
        lazy("Go to the service health page"),
    ),
}


def landing_for(role: str) -> str:
    """Where a member of staff starts: call handlers take calls, security staff see the service's
    health, everyone else reads reports."""
    guide = ROLE_GUIDES.get(role)
    return guide.start if guide else "/inbox"
