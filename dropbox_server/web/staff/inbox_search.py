"""Find a report: the inbox's search fields (report id, collar number, name) as a filter.

Parsed here and turned into keyed digests by the repeat-subjects use case, so the search
combines with every other inbox filter in one query.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from aiohttp import web

from dropbox_server.clock import today
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.forces import FORCES_BY_ID
from dropbox_server.reports.inbox import InboxFilter
from dropbox_server.reports.repeat_subjects import collar_search, name_search, normalise
from dropbox_server.web.appkeys import SERVICES

MAX_ID = 32
MAX_COLLAR = 40
MAX_NAME = 200
FIELDS = ("id", "collar", "collar_force", "name")


async def with_search(
    request: web.Request, staff: UnlockedStaff, where: InboxFilter
) -> tuple[InboxFilter, dict[str, str], dict[str, str]]:
    """(filter with the search added, search values to keep in links, errors by field).

    A value too long to be what it asks for is not searched; the page says so.
    """
    db = request.config_dict[SERVICES].db
    raw = {k: " ".join(str(request.query.get(k, "")).split()) for k in FIELDS}
    kept: dict[str, str] = {}
    errors: dict[str, str] = {}
    if raw["id"]:
        if len(raw["id"]) > MAX_ID:
            errors["id"] = "too_long"
        else:
            kept["id"] = raw["id"]
            where = replace(where, report_id=raw["id"].lower().replace(" ", ""))
    force = raw["collar_force"] if raw["collar_force"] in FORCES_BY_ID else None
    if force:
        kept["collar_force"] = force
    digests: list[bytes] = []
    key_id = 0
    if raw["collar"]:
        if len(raw["collar"]) > MAX_COLLAR:
            errors["collar"] = "too_long"
        elif not normalise(raw["collar"]):
            errors["collar"] = "empty"
        else:
            kept["collar"] = raw["collar"]
            key_id, found = await collar_search(db, staff, raw["collar"], force, today())
            digests.extend(found)
    if raw["name"]:
        if len(raw["name"]) > MAX_NAME:
            errors["name"] = "too_long"
        elif not normalise(raw["name"]):
            errors["name"] = "empty"
        else:
            kept["name"] = raw["name"]
            key_id, found = await name_search(db, staff, raw["name"], today())
            digests.extend(found)
    if digests:
        # Both given: reports naming that collar number OR that name (either identifies them).
        where = replace(where, subject=(key_id, tuple(digests)))
    return where, kept, errors


def urlencode_tail(values: dict[str, str]) -> str:
    """'&k=v…' for the paging links, with the values typed into the search escaped."""
    return "".join(f"&{k}={quote(v, safe='')}" for k, v in values.items())
