"""The service-health page for security staff: the checks `run.py status` makes, in plain words.

Security: only the `security` role sees it. It shows whether each check is well and a few
numbers `status` already prints (days, GiB, counts); the numbers are picked from an allow
list, so unit ids and anything else a check records never reach the page. Nothing here reads
a report.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from dropbox_server import health
from dropbox_server.clock import today
from dropbox_server.custody.keyring import SECURITY
from dropbox_server.sessions import Session
from dropbox_server.web.appkeys import SETTINGS
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.pages import signed_in, staff_page

# The numbers each check may show, by check name; every other fact stays off the page.
SHOWN: dict[str, tuple[str, ...]] = {
    "investigator": ("clients",),
    "unit keys": ("oldest_days",),
    "retention": ("due", "overdue"),
    "backup": ("days_since",),
    "certificates": ("failed", "unacknowledged"),
    "units": ("failed",),
    "audit chain": ("entries",),
}


@dataclass(frozen=True)
class Line:
    """One check as the page shows it: its name, whether it is well, and allowed numbers."""

    name: str
    ok: bool
    numbers: dict[str, int | str]


def _line(check: health.Check) -> Line:
    numbers: dict[str, int | str] = {
        key: value
        for key in SHOWN.get(check.name, ())
        if isinstance(value := check.facts.get(key), int) and not isinstance(value, bool)
    }
    if check.name == "disk":
        for key in ("free_bytes", "min_free_bytes"):
            value = check.facts.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                numbers[key] = f"{value / health.GIB:.1f}"
    if check.name == "key holders":
        stranded = check.facts.get("with_reports")
        numbers["stranded"] = len(stranded) if isinstance(stranded, list) else 0
    if check.name == "tor":
        numbers["serve_running"] = int(check.facts.get("serve_running") is True)
    return Line(check.name, check.ok, numbers)


@signed_in
async def health_page(request: web.Request, session: Session[Any], staff: StaffSession) -> web.StreamResponse:
    """Every check, each well or needing attention, with what to do about it."""
    if staff.unlocked.staff.role != SECURITY:
        refusal = {"only_security": True}
        return staff_page(request, "investigator/forbidden.html", session, staff, refusal, status=403)
    # Blocking file and SQLite reads (quick_check can take a while): off the event loop.
    report = await asyncio.to_thread(health.gather, request.config_dict[SETTINGS], today())
    lines = [_line(c) for c in report.checks]
    attention = sum(not line.ok for line in lines)
    context: dict[str, Any] = {"lines": lines, "all_well": report.ok, "attention": attention}
    return staff_page(request, "investigator/health.html", session, staff, context)
