"""The statistics page for supervisors: a table and a server-drawn bar chart of the same figures.

Security: only supervisors see it, and only published (small-number-protected) figures are
ever rendered; counters hold no report id or day, so the page opens no report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from dropbox_server.clock import today
from dropbox_server.custody import directory
from dropbox_server.custody.keyring import SUPERVISOR
from dropbox_server.reports.access import RoleNotAllowed
from dropbox_server.sessions import Session
from dropbox_server.stats.chart import bar_chart
from dropbox_server.stats.columns import COLUMNS, COLUMNS_BY_KEY
from dropbox_server.stats.periods import PERIODS, PeriodError, months_between, parse_month
from dropbox_server.stats.table import StatsQuery, statistics
from dropbox_server.web.appkeys import SERVICES
from dropbox_server.web.staff.context import StaffSession
from dropbox_server.web.staff.pages import signed_in, staff_page

SCOPES = ("unit", "national")


@dataclass(frozen=True)
class StatsForm:
    """The page's choices, each defaulted when missing or not understood."""

    first: str
    last: str
    period: str
    scope: str
    column: str


def _twelve_months_to(last: str) -> str:
    year, month = parse_month(last)
    year, month = (year - 1, month + 1) if month < 12 else (year, 1)
    return f"{year:04d}-{month:02d}"


def _form_from(query: Any) -> tuple[StatsForm, bool]:
    """The choices in the query string, and whether the months were unusable (then defaults)."""
    this_month = today()[:7]
    first, last = query.get("from", ""), query.get("to", "")
    problem = False
    try:
        months_between(first, last)
    except PeriodError:
        problem = bool(first or last)
        first, last = _twelve_months_to(this_month), this_month
    period = query.get("period") if query.get("period") in PERIODS else "month"
    scope = query.get("scope") if query.get("scope") in SCOPES else "unit"
    column = query.get("figure") if query.get("figure") in COLUMNS_BY_KEY else "calls"
    return StatsForm(first, last, period, scope, column), problem


@signed_in
async def statistics_page(
    request: web.Request, session: Session[Any], staff: StaffSession
) -> web.StreamResponse:
    """Figures for the supervisor's unit or the nation, by month, quarter or year."""
    me = staff.unlocked.staff
    if me.role != SUPERVISOR:
        raise RoleNotAllowed(me.role)
    form, problem = _form_from(request.query)
    db = request.config_dict[SERVICES].db
    query = StatsQuery(form.first, form.last, me.unit_id if form.scope == "unit" else None, form.period)
    table = await statistics(db, query)
    context = {
        "form": form,
        "problem": problem,
        "table": table,
        "chart": bar_chart(table, form.column),
        "column": COLUMNS_BY_KEY[form.column],
        "columns": COLUMNS,
        "periods": PERIODS,
        "unit_name": await directory.unit_name(db, me.unit_id),
    }
    return staff_page(
        request, "investigator/stats.html", session, staff, context, status=400 if problem else 200
    )
