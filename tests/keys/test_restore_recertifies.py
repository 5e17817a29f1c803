"""A restore closes the one-time "units as found" certification (insider finding V2).

`restore` writes `units.certified` into the new data directory, as it writes the pin, so a
database copy whose `unit_certification_owed` marker a writer set again (or faked to look
older than 0021) is never certified as found at a start: its forged unit rows keep failing.
A copy whose schema predates unit certificates is certified only by `keys certify-restored`
(K shares; audited).

Attacker: a database writer (writes the database a backup set or replica is taken from; no
audit.key, no shares). The restore itself is done honestly by K share holders.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from dropbox_server import health
from dropbox_server.clock import today
from dropbox_server.custody import backup, certify
from dropbox_server.reports.unit_choices import force_choices
from dropbox_server.services import open_services
from dropbox_server.store import audit as audit_store
from dropbox_server.unit_names import name_key
from tests.keys.test_backup_restore import _custodian, prepared
from tests.keys.test_officer_cli import run

# Essex's unit, renamed to pass for a Kent office: a valid name of its own (no look-alike), so
# once certified it sits on the reporter's form and reports for "Kent" go to Essex.
FORGED = "Kent Police Anti-Corruption Unit"


def _forge(db_copy: Path) -> None:
    with sqlite3.connect(db_copy) as raw:
        raw.execute("UPDATE units SET name = ?, name_key = ? WHERE id = 'essex-police'", (FORGED, name_key(FORGED)))
        raw.execute("UPDATE units SET retired_day = '2026-01-01' WHERE id = 'kent-police'")  # and Kent gone
        raw.execute("INSERT OR IGNORE INTO unit_certification_owed (id) VALUES (1)")  # the one line


async def test_a_restored_copy_with_the_owed_marker_keeps_its_forged_units_failing(
    tmp_path: Path,
) -> None:
    """Regression (insider finding V2, was 'attack succeeds'): the restore writes
    units.certified, so the copy's owed marker is refused (audited) and the forged rows fail."""
    settings, _receipt, _address, keys_file, db_copy = await prepared(tmp_path)
    assert (settings.data_dir / certify.UNITS_CERTIFIED_NAME).exists()
    _forge(db_copy)
    shutil.rmtree(settings.data_dir)  # the disaster the restore is for
    await backup.restore(keys_file, _custodian(tmp_path), db_copy, settings)
    assert (settings.data_dir / certify.PIN_NAME).exists()
    assert (settings.data_dir / certify.UNITS_CERTIFIED_NAME).exists()
    assert not (settings.data_dir / certify.RESTORED_OLD_UNITS_NAME).exists()
    async with open_services(settings) as services:
        db = services.db
        offered = {f.unit_id: f.name for f in await force_choices(db)}
        assert "essex-police" not in offered and "kent-police" not in offered
        assert FORGED not in offered.values()
        entries = [e.entry for e in await audit_store.entries(db)]
        assert any(e.action == "key_check_failed" and e.detail == "unit-owed-marker-ignored" for e in entries)
        assert not any(e.action == "keys_certified" and "units=" in e.detail for e in entries[-3:])
    units = next(c for c in health.gather(settings, today()).checks if c.name == "units")
    assert not units.ok and units.facts["failed_units"] == ["essex-police", "kent-police"]


async def test_defence_the_live_directory_refuses_the_owed_marker_set_again(tmp_path: Path) -> None:
    """Without a restore, units.certified is there: the marker is refused and audited, and the
    forged rows keep failing (as tests/keys/test_unit_certificates.py shows for one unit)."""
    settings, _receipt, _address, _keys_file, _db_copy = await prepared(tmp_path)
    _forge(settings.database_path)
    async with open_services(settings) as services:
        offered = {f.unit_id for f in await force_choices(services.db)}
        assert "essex-police" not in offered and "kent-police" not in offered
    units = next(c for c in health.gather(settings, today()).checks if c.name == "units")
    assert not units.ok and units.facts["failed_units"] == ["essex-police", "kent-police"]


def _roll_back_to_0020(database: Path) -> None:
    """The writer makes the live database look as if migration 0021 never ran: the next open
    runs it again, and it sets the owed marker."""
    with sqlite3.connect(database) as raw:
        raw.execute("UPDATE units SET name = ? WHERE id = 'essex-police'", (FORGED,))
        raw.execute("DROP INDEX units_name_key")
        raw.execute("ALTER TABLE units DROP COLUMN name_key")
        raw.execute("ALTER TABLE units DROP COLUMN certificate")
        raw.execute("DROP TABLE unit_certification_owed")
        raw.execute("PRAGMA user_version = 20")


async def test_defence_the_live_directory_refuses_a_database_rolled_back_before_0021(tmp_path: Path) -> None:
    """units.certified is beside the live database: 0021 runs again and sets the marker, the
    marker is refused (audited), and every unit, left without a certificate, is offered nowhere."""
    settings, _receipt, _address, _keys_file, _db_copy = await prepared(tmp_path)
    _roll_back_to_0020(settings.database_path)
    async with open_services(settings) as services:
        assert await force_choices(services.db) == []
        entries = [e.entry for e in await audit_store.entries(services.db)]
        assert any(e.action == "key_check_failed" and e.detail == "unit-owed-marker-ignored" for e in entries)
    assert "units" in {c.name for c in health.gather(settings, today()).checks if not c.ok}


async def test_a_restored_copy_rolled_back_before_0021_is_not_certified_as_found(
    tmp_path: Path,
) -> None:
    """Regression (insider finding V2, was 'attack succeeds'): nothing in the copy tells a real
    0020 schema from a faked one, so a restored copy older than 0021 offers no unit until K
    share holders run `keys certify-restored` (audited, naming the operator)."""
    settings, _receipt, _address, keys_file, db_copy = await prepared(tmp_path)
    _roll_back_to_0020(db_copy)
    shutil.rmtree(settings.data_dir)
    await backup.restore(keys_file, _custodian(tmp_path), db_copy, settings)
    assert (settings.data_dir / certify.RESTORED_OLD_UNITS_NAME).exists()
    async with open_services(settings) as services:
        assert await force_choices(services.db) == []
    assert "units" in {c.name for c in health.gather(settings, today()).checks if not c.ok}
    async with open_services(settings) as services:  # a second start certifies nothing either
        assert await force_choices(services.db) == []
        await certify.certify_restored(services.db, _custodian(tmp_path))  # the K-share decision
        offered = {f.unit_id: f.name for f in await force_choices(services.db)}
        assert offered["essex-police"] == FORGED  # what the share holders chose to certify
        entries = [e.entry for e in await audit_store.entries(services.db)]
        assert entries[-1].action == "keys_certified" and entries[-1].detail.startswith("restored-copy units=")
    assert not (settings.data_dir / certify.RESTORED_OLD_UNITS_NAME).exists()


async def test_a_restored_directory_stays_closed_to_the_owed_marker_afterwards(
    tmp_path: Path,
) -> None:
    """Regression (insider finding V2, was 'attack succeeds'): after an honest restore,
    units.certified is there, so a writer of the LIVE restored database who sets the marker
    weeks later gets a refusal on the record, not their rows certified."""
    settings, _receipt, _address, keys_file, db_copy = await prepared(tmp_path)
    shutil.rmtree(settings.data_dir)
    await backup.restore(keys_file, _custodian(tmp_path), db_copy, settings)
    async with open_services(settings) as services:
        assert "essex-police" in {f.unit_id for f in await force_choices(services.db)}
    assert (settings.data_dir / certify.UNITS_CERTIFIED_NAME).exists()
    _forge(settings.database_path)  # later, on the live database
    async with open_services(settings) as services:
        offered = {f.unit_id: f.name for f in await force_choices(services.db)}
        assert "essex-police" not in offered and FORGED not in offered.values()
    units = next(c for c in health.gather(settings, today()).checks if c.name == "units")
    assert not units.ok and units.facts["failed_units"] == ["essex-police", "kent-police"]


async def test_one_officers_list_units_does_not_certify_the_writers_rows_in_a_restored_directory(
    tmp_path: Path,
) -> None:
    """Regression (insider finding V2, was 'attack succeeds'): a key command opening the
    database (cli/keys/officer.database) meets units.certified and certifies nothing."""
    settings, _receipt, _address, keys_file, db_copy = await prepared(tmp_path)
    shutil.rmtree(settings.data_dir)
    await backup.restore(keys_file, _custodian(tmp_path), db_copy, settings)
    _forge(settings.database_path)
    done = run(settings.data_dir, "keys", "list-units")
    assert done.returncode == 0, done.stderr
    assert "OFFERED ON NO FORM" in done.stdout
    failing = {c.name for c in health.gather(settings, today()).checks if not c.ok}
    assert "units" in failing


async def test_a_directory_without_the_file_is_closed_at_the_next_start(tmp_path: Path) -> None:
    """V2: a directory restored before restores wrote units.certified (or a crash before it was
    written) gets the file at the next start once its units carry certificates, so a marker
    set later is refused."""
    settings, _receipt, _address, _keys_file, _db_copy = await prepared(tmp_path)
    (settings.data_dir / certify.UNITS_CERTIFIED_NAME).unlink()
    async with open_services(settings) as services:
        assert "essex-police" in {f.unit_id for f in await force_choices(services.db)}
    assert (settings.data_dir / certify.UNITS_CERTIFIED_NAME).exists()
    _forge(settings.database_path)
    async with open_services(settings) as services:
        assert "essex-police" not in {f.unit_id for f in await force_choices(services.db)}
