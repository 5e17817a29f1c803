"""Finding D5 (fixed): one officer alone relabelled the reporter's list of forces.

`keys rename-unit` was on the door with no shares and no second person, and the reporter's
and call handler's forms read the force names from the units (reports/unit_choices.py).
Swapping two names sent a reporter who picked "Kent Police" to Essex's unit. A rename now
needs K custodian shares, like `set-routing`. This test passed as "attack succeeds" (the
report went to essex-police) before the fix; it now asserts the refusal and the names kept.
"""

from __future__ import annotations

from pathlib import Path

from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.routing import route_report
from dropbox_server.reports.unit_choices import force_choices
from dropbox_server.store import open_database
from tests.deploy.door_process import door, made_by_init, said


async def test_one_officer_cannot_rename_a_force_and_kent_stays_kent(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)  # direct routing
    for unit, name in (("kent-police", "Essex Police"), ("essex-police", "Kent Police")):
        renamed = door(config, "keys", "rename-unit", "--id", unit, "--name", name, "--yes")
        assert renamed.returncode == 1, said(renamed)
        assert "needs the custodian shares; none was given, nothing was changed" in said(renamed)
    db = await open_database(settings.database_path)
    try:
        labelled = {force.name: force.unit_id for force in await force_choices(db)}
        chosen = labelled["Kent Police"]  # what the reporter ticks on the form
        route = await route_report(db, ReportContent(force=chosen, conduct="corruption"))
    finally:
        await db.close()
    assert route.unit_id == "kent-police"
