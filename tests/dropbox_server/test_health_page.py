"""The staff site's service-health page: security staff see every check `run.py status` makes,
in plain words, with nothing from reports; every other role is refused."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator

import pytest

from dropbox_server.config import Settings, UploadLimits
from dropbox_server.datadir import THROWAWAY_NAME, Throwaway, write_throwaway
from dropbox_server.services import Services, open_services
from onion_config.onion_keys import OnionFiles
from onion_config.state import ServeLock
from tests.conftest import init_test_data_dir
from tests.dropbox_server.test_status import days_ago, record_backup, tor_seen
from tests.investigator.conftest import Workspace, clock, running_workspace, submit, workspace
from tests.investigator.driver import FakeClock, text_of

TITLES = ("Tor", "Reporters' onion service", "Staff onion service", "Database", "Unit keys",
          "Key holders", "Key certificates", "Units on the forms", "Audit trail", "Key holder notices",
          "Deleting old reports", "Free disk space", "Backups")
WHAT_HAPPENED = "Sergeant Example took cash from a dealer."


@pytest.fixture
async def services(settings: Settings, routing: str) -> AsyncIterator[Services]:
    """A test data directory without its throwaway marker, as `init` makes a real one: a
    throwaway directory never counts as well (tests/keys/test_kdf_floor.py)."""
    await init_test_data_dir(settings, routing=routing)
    (settings.data_dir / THROWAWAY_NAME).unlink()
    async with open_services(settings) as opened:
        yield opened


@pytest.fixture
def routing() -> str:
    return "desk"  # so the refused roles include the desk's analysts


def checks_on(page: str) -> dict[str, tuple[bool, str]]:
    """Each check's title -> (needs attention, its text)."""
    found = {}
    for classes, body in re.findall(r'<section class="health-check([^"]*)"[^>]*>(.*?)</section>', page, re.S):
        title = text_of(re.search(r"<h2[^>]*>(.*?)<span", body, re.S)[1]).strip()  # type: ignore[index]
        found[title] = ("attention" in classes, " ".join(text_of(body).split()))
    return found


async def staffed(ws: Workspace) -> str:
    """A desk analyst holding the desk's key, and a report at the desk; returns its id."""
    await ws.enrol("ann", "desk", "desk_analyst")
    _, report_id = await submit(ws, what_happened=WHAT_HAPPENED)
    return report_id


async def test_security_staff_see_every_check_well_and_no_report(workspace: Workspace) -> None:
    report_id = await staffed(workspace)
    record_backup(workspace.settings, days_ago(1))
    tor_seen(workspace.settings.data_dir)
    sec = await workspace.signed_in("sian", "desk", "security")
    with ServeLock(OnionFiles.for_data_dir(workspace.settings.data_dir).serve_lock):
        status, page = await sec.get("/")  # security staff start on the health page
    assert status == 200 and "<h1>Service health</h1>" in page
    found = checks_on(page)
    assert list(found) == list(TITLES)
    assert not any(attention for attention, _ in found.values()), found
    assert "All is well" in text_of(page) and "Needs attention" not in page
    assert found["Backups"][1].endswith("Days since the last good backup: 1.")
    assert "Reports due for deletion: 0." in found["Deleting old reports"][1]
    assert 'href="/health"' in page and 'href="/inbox"' not in page
    assert report_id not in page and WHAT_HAPPENED not in text_of(page)
    assert "<script" not in page and "style=" not in page
    # The role reads no report: the inbox and a report are refused like any non-reader's.
    assert (await sec.get("/inbox"))[0] == 403
    assert (await sec.get(f"/reports/{report_id}"))[0] == 403
    for path in ("/desk/approvals", "/statistics", "/intake", "/passed-on"):
        assert (await sec.get(path))[0] == 403, path


async def test_stale_backup_and_full_disk_need_attention(
    settings: Settings, services: Services, clock: FakeClock
) -> None:
    full = settings.with_changes(uploads=UploadLimits(free_space_watermark_bytes=2**60))
    async with running_workspace(full, services, clock) as ws:
        report_id = await staffed(ws)
        record_backup(settings, days_ago(40))
        sec = await ws.signed_in("sian", "desk", "security")
        status, page = await sec.get("/health")
    assert status == 200
    found = checks_on(page)
    assert list(found) == list(TITLES)
    assert found["Backups"] == (True, "Backups Needs attention Days since the last good backup: "
                                "40, more than the limit. Check the backup timer and its log on "
                                "the server, then run a backup.")
    disk_attention, disk_text = found["Free disk space"]
    assert disk_attention and "new reports and files are being refused" in disk_text
    assert found["Tor"][0] and "serve command is not running" in found["Tor"][1]
    assert not found["Database"][0] and not found["Key holders"][0]
    assert "Checks needing attention: 5" in text_of(page)  # tor, both onions, disk, backup
    assert report_id not in page and WHAT_HAPPENED not in text_of(page)


async def test_a_stranded_unit_is_counted_not_named(workspace: Workspace) -> None:
    """A unit with reports but no key holder: the page gives the count, never the unit's id."""
    _, report_id = await submit(workspace, what_happened=WHAT_HAPPENED)  # at the desk; nobody enrolled
    sec = await workspace.signed_in("sian", "kent-police", "security")
    _, page = await sec.get("/health")
    attention, text = checks_on(page)["Key holders"]
    assert attention and "because no member holds their key: 1." in text
    assert '"desk"' not in page and ">desk<" not in page and " desk " not in text_of(page)
    assert report_id not in page


async def test_a_unit_altered_in_the_database_is_counted_not_named(workspace: Workspace) -> None:
    """Insider finding U2: a unit renamed by SQL fails its certificate; the page counts it."""
    with sqlite3.connect(workspace.settings.database_path) as raw:
        raw.execute("UPDATE units SET name = 'Kent Police 2' WHERE id = 'essex-police'")
    sec = await workspace.signed_in("sian", "kent-police", "security")
    _, page = await sec.get("/health")
    attention, text = checks_on(page)["Units on the forms"]
    assert attention and "looks like another unit's: 1." in text
    assert "essex-police" not in page and "Kent Police 2" not in page


@pytest.mark.parametrize("role, unit", [
    ("investigator", "kent-police"), ("supervisor", "kent-police"),
    ("desk_analyst", "desk"), ("desk_supervisor", "desk"), ("call_handler", "desk"),
])
async def test_every_other_role_is_refused(workspace: Workspace, role: str, unit: str) -> None:
    who = await workspace.signed_in("olly", unit, role)
    status, page = await who.get("/health")
    assert status == 403 and "Only security staff can see the service" in text_of(page)
    assert "health-check" not in page and 'href="/health"' not in page


async def test_signed_out_goes_to_sign_in(workspace: Workspace) -> None:
    who = await workspace.enrol("sian", "desk", "security")
    status, _ = await who.get("/health", follow=False)
    assert status == 303



__all__ = ["clock", "workspace"]  # fixtures, used by name


async def test_a_demo_or_test_data_directory_is_shown_first_as_needing_attention(workspace: Workspace) -> None:
    """Insider finding K7: where staff keys may be wrapped cheaply, security staff are told."""
    await staffed(workspace)
    record_backup(workspace.settings, days_ago(1))
    tor_seen(workspace.settings.data_dir)
    # The marker `init` writes for a demo directory (written here on the test's own directory).
    write_throwaway(workspace.settings.data_dir, Throwaway("demo", (2, 19 * 1024, 1)))
    sec = await workspace.signed_in("sian", "desk", "security")
    with ServeLock(OnionFiles.for_data_dir(workspace.settings.data_dir).serve_lock):
        status, page = await sec.get("/health")
    found = checks_on(page)
    assert status == 200 and next(iter(found)) == "Demo or test data directory"
    attention, text = found["Demo or test data directory"]
    assert attention and "Never keep real reports here" in text
    assert "Checks needing attention: 1" in text_of(page)
    assert not any(attention for attention, _ in list(found.values())[1:]), found
