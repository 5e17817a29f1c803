"""Routing: `direct` keeps today's behaviour; `desk` is the default for a new data directory;
security staff can switch an existing directory to the desk from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody.keyring import KeyringError
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import reports as report_store
from dropbox_server.store import units
from tests.conftest import CHEAP_KDF, init_test_data_dir
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import text_of
from tests.keys.test_backup_restore import cli
from tests.keys.test_insider_custody import issued_shares


@pytest.mark.parametrize("routing", ["direct"])
async def test_direct_routing_delivers_to_the_named_force(workspace: Workspace) -> None:
    _, report_id = await submit(workspace, what_happened="Direct words for Kent.")
    report = await report_store.get_report(workspace.services.db, report_id)
    assert report is not None and report.unit_id == "kent-police"
    assert report.desk_state is None
    assert await units.get_unit(workspace.services.db, "desk") is None
    kim = await workspace.signed_in("kim", "kent-police")
    assert "Direct words for Kent." in text_of(await kim.open_report(report_id))
    _, conflicted = await submit(workspace, conflict=True)
    moved = await report_store.get_report(workspace.services.db, conflicted)
    assert moved is not None and moved.unit_id == "national-hub"


async def test_desk_is_the_default_and_takes_every_report(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)
    await init_test_data_dir(settings, routing="desk")  # what `init` does by default
    async with open_services(settings) as services:
        db = services.db
        for force, conflict in (("kent-police", False), ("kent-police", True), ("unknown", False)):
            content = ReportContent(force=force, conduct="corruption", what_happened="x", conflict=conflict)
            await submit_report(db, services.receipts, content, None, "phone", today())
        # Report keys are random (0006): the rows come in no particular order.
        # The force named is sealed inside the report: no clear column holds it (M1).
        rows = await db.fetch_all("SELECT unit_id, named_force_tag, desk_state, channel FROM reports")
        assert sorted((tuple(r) for r in rows), key=repr) == [("desk", None, "new", "phone")] * 3
        # Desk roles belong to the desk; force roles do not.
        from dropbox_server.custody import enrolment

        for unit, role in (("kent-police", "desk_analyst"), ("desk", "investigator")):
            with pytest.raises(KeyringError):
                await enrolment.invite(
                    db, username=f"x-{role}", unit_id=unit, role=role, requested_by="officer", day=today()
                )


def test_command_line_routing(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    made = cli("init", "--data-dir", data, "--routing", "direct", stdin="")  # prints the shares
    assert made.returncode == 0, made.stderr
    listed = cli("keys", "list-units", "--data-dir", data, stdin="")
    assert "Routing: direct" in listed.stdout.splitlines() and "\ndesk " not in listed.stdout
    # L3: switching needs the custodian key: K of the shares `init` printed.
    refused = cli("keys", "set-routing", "--data-dir", data, "--routing", "desk", "--operator", "jo.smith",
                  stdin="not a share\n" * 3)
    assert refused.returncode != 0 and "nothing was changed" in refused.stderr
    listed = cli("keys", "list-units", "--data-dir", data, stdin="")
    assert "Routing: direct" in listed.stdout.splitlines() and "\ndesk " not in listed.stdout
    shares = "".join(line + "\n" for line in list(issued_shares(made.stdout).values())[:3])
    switched = cli(
        "keys", "set-routing", "--data-dir", data, "--routing", "desk", "--operator", "jo.smith", stdin=shares
    )
    assert switched.returncode == 0, switched.stderr
    assert "Created the desk unit" in switched.stdout
    listed = cli("keys", "list-units", "--data-dir", data, stdin="")
    assert any(line.startswith("Routing: desk (") for line in listed.stdout.splitlines()) and "Independent reporting desk" in listed.stdout
