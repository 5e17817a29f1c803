"""Migration 0005 applied to a version-4 database that already holds reports and staff."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dropbox_server import audit, envelope
from dropbox_server.store import assignments as assignment_store
from dropbox_server.store import units
from tests.old_versions import at_version, migrated, new_report, old_report, old_staff


async def test_0005_assigns_reports_stored_before_it(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    pair = envelope.generate_keypair()
    async with at_version(path, 4) as db:
        key_id = await units.insert_unit_key(db, "u1", pair.public, "2026-01-01", {})
        for n in range(2):
            await old_report(db, new_report(key_id, pair.public, "corruption", n))
        ids = [
            await old_staff(db, "sue", "supervisor", pair.public),
            await old_staff(db, "cal", "call_handler", pair.public),
        ]
        assert await db.schema_version() == 4

    async with migrated(path, 5) as db:
        first, second = [int(r[0]) for r in await db.fetch_all("SELECT seq FROM reports ORDER BY seq")]
        assert await assignment_store.caseloads(db, "u1") == {}
        change = assignment_store.AssignmentChange(first, "u1", ids[0], ids[0], "2026-01-02", None)
        assert await assignment_store.replace_assignment(db, change, audit.pending("assigned"))
        assert await assignment_store.caseloads(db, "u1") == {ids[0]: 1}
        # A stale view of the assignee writes nothing.
        assert not await assignment_store.replace_assignment(db, change, audit.pending("assigned"))
        # A call handler holds no unit keys, so the schema refuses them as an assignee.
        to_caller = assignment_store.AssignmentChange(second, "u1", ids[1], ids[0], "2026-01-02", None)
        with pytest.raises(assignment_store.AssigneeRefused):
            await assignment_store.replace_assignment(db, to_caller, audit.pending("assigned"))
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as tx:
                await tx.execute("UPDATE report_assignments SET staff_id = ?", (ids[1],))
        assert await assignment_store.caseloads(db, "u1") == {ids[0]: 1}
