"""Driving the desk's package pages over HTTP, as a browser without JavaScript would."""

from __future__ import annotations

import re

from tests.investigator.driver import Investigator

_DRAFT = re.compile(r"^/desk/packages/(\d+)\?done=")
_VERSION = re.compile(r'name="version" value="(\d+)"')

PACKAGE = {
    "conduct": "corruption",
    "subject_name": "",
    "subject_role": "a constable",
    "collar_number": "",
    "station": "",
    "when": "early this year",
    "where": "in the force area",
    "summary": "A constable is said to have taken payment to drop a prosecution.",
    "source_evaluation": "2",
    "assessment": "C",
    "handling": "C",
    "handling_conditions": "Not to be shared outside the anti-corruption unit.",
}
CHECKLIST = {f"check_{name}": "yes" for name in ("dates", "places", "relationships", "phrasing")}


async def draft_package(analyst: Investigator, report_id: str, to_unit: str, **fields: str) -> int:
    """Open the package form for a unit, save the draft, return its id."""
    status, page = await analyst.get(f"/desk/reports/{report_id}/packages/new?to_unit={to_unit}")
    assert status == 200, page[:2000]
    form = {**PACKAGE, **fields, "to_unit": to_unit, "update": fields.get("update", "")}
    status, where = await analyst.post(f"/desk/reports/{report_id}/packages", form, csrf_page=page)
    assert status == 303, where[:3000]
    match = _DRAFT.match(where)
    assert match, where
    return int(match.group(1))


async def draft_update(analyst: Investigator, report_id: str, package_id: str, **fields: str) -> int:
    status, page = await analyst.get(f"/desk/reports/{report_id}/packages/new?update={package_id}")
    assert status == 200, page[:2000]
    form = {**PACKAGE, **fields, "to_unit": "", "update": package_id}
    status, where = await analyst.post(f"/desk/reports/{report_id}/packages", form, csrf_page=page)
    assert status == 303, where[:3000]
    match = _DRAFT.match(where)
    assert match, where
    return int(match.group(1))


async def draft_action(
    who: Investigator, draft_id: int, action: str, data: dict[str, str]
) -> tuple[int, str]:
    """POST submit / approve / reject (or edit, with action '') from the draft's page."""
    status, page = await who.get(f"/desk/packages/{draft_id}")
    assert status == 200, page[:2000]
    path = f"/desk/packages/{draft_id}" + (f"/{action}" if action else "")
    shown = _VERSION.search(page)
    if action == "approve" and shown:  # the form is there only for a second desk member
        data = {"version": shown.group(1), **data}
    return await who.post(path, data, csrf_page=page)


def reviewed_version(page: str) -> str:
    """The draft version an approve form was made for (its hidden field)."""
    match = _VERSION.search(page)
    assert match, "the approve form names the version it shows"
    return match.group(1)
