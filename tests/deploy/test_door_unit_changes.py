"""Issue 18 follow-up (fixed): one officer alone created and retired units through the door.

`keys create-unit` and `keys retire-unit` asked for no custodian shares. Through the door one
officer could retire Kent's unit (it leaves the reporter's list; under direct routing a report
naming Kent goes to the national hub) and create a unit called "Kent Police" in its place, which
the reporter's form offers as Kent: a report sent there is sealed to a unit nobody holds a key
of, lost to Kent until K share holders approve a first key holder, whoever the officer enrolled.
Both now need K custodian shares, like `rename-unit` (D5). These tests passed as "attack
succeeds" before the fix (the report went to the new unit); they now assert the refusals.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.routing import route_report
from dropbox_server.reports.unit_choices import force_choices
from dropbox_server.store import open_database
from tests.conftest import TEST_SHARES, custodian_shares_of
from tests.deploy.door_process import OFFICER, door, made_by_init, said


def _shares(data_dir: Path) -> bytes:
    return "".join(s + "\n" for s in custodian_shares_of(data_dir)[: TEST_SHARES.threshold]).encode()


async def test_one_officer_cannot_retire_kent_and_offer_a_unit_of_their_own_as_kent(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)  # direct routing
    retired = door(config, "keys", "retire-unit", "--id", "kent-police", "--yes")
    created = door(config, "keys", "create-unit", "--id", "kent-psd", "--name", "Kent Police", "--yes")
    for refused in (retired, created):
        assert refused.returncode == 1, said(refused)
        assert "needs the custodian shares; none was given, nothing was changed" in said(refused)
    db = await open_database(settings.database_path)
    try:
        offered = [force for force in await force_choices(db) if force.name == "Kent Police"]
        assert [force.unit_id for force in offered] == ["kent-police"]
        route = await route_report(db, ReportContent(force=offered[0].unit_id, conduct="corruption"))
    finally:
        await db.close()
    assert route.unit_id == "kent-police"


async def test_with_k_shares_the_door_creates_and_retires_a_unit_and_names_the_officer(tmp_path: Path) -> None:
    settings, config = await made_by_init(tmp_path)
    shares = _shares(settings.data_dir)
    created = door(config, "keys", "create-unit", "--id", "new-force", "--name", "New Force Police",
                   "--kind", "force", "--yes", stdin=shares)
    assert created.returncode == 0, said(created)
    retired = door(config, "keys", "retire-unit", "--id", "new-force", "--yes", stdin=shares)
    assert retired.returncode == 0, said(retired)
    with sqlite3.connect(settings.database_path) as raw:
        details = dict(raw.execute(
            "SELECT action, detail FROM audit_log WHERE action IN ('unit_created', 'unit_retired')"
        ).fetchall())
        assert raw.execute("SELECT retired_day IS NOT NULL FROM units WHERE id = 'new-force'").fetchone() == (1,)
    assert set(details) == {"unit_created", "unit_retired"}
    assert all(f"by={OFFICER}" in detail for detail in details.values()), details


async def test_even_with_k_shares_no_unit_may_look_like_another(tmp_path: Path) -> None:
    """The share holders see the name they agree to; a look-alike of Kent's (the name the form
    shows, its unit name, other spacing, case or letters) is refused before anything is made."""
    settings, config = await made_by_init(tmp_path)
    shares = _shares(settings.data_dir)
    for name in ("Kent Police", "KENT  POLICE", "K\u0435nt Police",
                 "Kent Police: Professional Standards and Anti-Corruption"):
        refused = door(config, "keys", "create-unit", "--id", "kent-psd", "--name", name, "--yes", stdin=shares)
        assert refused.returncode == 1 and "nothing was changed" in said(refused), said(refused)
        assert "Traceback" not in said(refused)
    renamed = door(config, "keys", "rename-unit", "--id", "essex-police", "--name", "Kent Police", "--yes",
                   stdin=shares)
    assert renamed.returncode == 1 and "looks like the name of the unit kent-police" in said(renamed)
    with sqlite3.connect(settings.database_path) as raw:
        assert raw.execute("SELECT count(*) FROM units WHERE id = 'kent-psd'").fetchone() == (0,)
        assert raw.execute("SELECT name FROM units WHERE id = 'essex-police'").fetchone() == (
            "Essex Police: Professional Standards and Anti-Corruption",)
