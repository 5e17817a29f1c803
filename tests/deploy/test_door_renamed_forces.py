"""Finding D5 (low): one officer alone relabels the reporter's list of forces.

`keys rename-unit` is on the door with no shares and no second person, and the reporter's and
call handler's forms read the force names from the units (reports/unit_choices.py). Swapping
two names sends a reporter who picks "Kent Police" to Essex's unit: their report is read by
people they did not choose (and, in direct routing, the conflict-of-interest and hub rules are
judged on the wrong force). It is audited (unit_renamed), but nothing tells anyone.
"""

from __future__ import annotations

from pathlib import Path

from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.routing import route_report
from dropbox_server.reports.unit_choices import force_choices
from dropbox_server.store import open_database
from tests.deploy.door_process import door, made_by_init, said


async def test_attack_succeeds_a_reporter_choosing_kent_reaches_essex(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)  # direct routing
    for unit, name in (("kent-police", "Essex Police"), ("essex-police", "Kent Police")):
        renamed = door(config, "keys", "rename-unit", "--id", unit, "--name", name, "--yes")
        assert renamed.returncode == 0, said(renamed)
    db = await open_database(settings.database_path)
    try:
        labelled = {force.name: force.unit_id for force in await force_choices(db)}
        chosen = labelled["Kent Police"]  # what the reporter ticks on the form
        route = await route_report(db, ReportContent(force=chosen, conduct="corruption"))
    finally:
        await db.close()
    # ATTACK SUCCEEDS: the report about Kent goes to the Essex unit's key holders.
    assert route.unit_id == "essex-police"
