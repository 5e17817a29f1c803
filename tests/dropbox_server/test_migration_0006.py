"""Migration 0006 (random row keys) applied to a version-5 database with interleaved units,
alone and followed by every later migration in the same open (an install upgraded at once)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dropbox_server import audit, envelope
from dropbox_server.store import UnitRow, units
from dropbox_server.store import audit as audit_store
from tests.old_versions import at_version, migrated, old_staff, old_unit

_OLD_TIME = "2026-03-04T10:11:12+00:00"


def _report_row(seq: int, unit: str, pair: envelope.KeyPair) -> tuple[object, ...]:
    return (
        seq,
        f"r{seq}",
        unit,
        unit,
        "online",
        "corruption",
        "none",
        "2026-03-04",
        "2026-03-04",
        bytes([seq]) * 32,
        pair.public,
        pair.public,
    )


@pytest.mark.parametrize("up_to", [6, None], ids=["0006-alone", "to-the-latest"])
async def test_0006_renumbers_every_key_and_keeps_every_link(tmp_path: Path, up_to: int | None) -> None:
    path = tmp_path / "db.sqlite3"
    pair = envelope.generate_keypair()
    async with at_version(path, 5, u1_name="Kent") as db:
        await old_unit(db, UnitRow("u2", "Met", "force"), "2026-01-01")
        key_id = await units.insert_unit_key(db, "u1", pair.public, "2026-01-01", {})
        staff_id = await old_staff(db, "sue", "supervisor", pair.public)
        async with db.transaction() as tx:  # as version 5 stored them: counters across units
            await tx.executemany(
                "INSERT INTO reports (seq, id, unit_id, first_unit_id, channel, conduct, contact_scope, "
                "created_day, last_activity_day, lookup_id, reporter_public_key, report_public_key) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [_report_row(1, "u1", pair), _report_row(2, "u2", pair)],
            )
            await tx.execute(
                "INSERT INTO report_key_grants VALUES (1, 'content', ?, x'00'), (2, 'content', ?, x'00')",
                (key_id, key_id),
            )
            # Kent report, Met report, Kent note, Met follow-up, Kent note.
            for item_id, seq, kind in [
                (1, 1, "report"),
                (2, 2, "report"),
                (3, 1, "note"),
                (4, 2, "reporter_message"),
                (5, 1, "note"),
            ]:
                await tx.execute(
                    "INSERT INTO items (id, report_seq, kind, created_day, ciphertext, key_for_unit) "
                    "VALUES (?, ?, ?, '2026-03-04', x'01', x'02')",
                    (item_id, seq, kind),
                )
            await tx.execute("INSERT INTO files VALUES (?, 2, 4, 0, 10, x'00', x'00', NULL)", ("a" * 32,))
            # Sue had read the Met report up to its first item: the follow-up is unread.
            await tx.execute("INSERT INTO report_reads VALUES (?, 2, 2), (?, 1, 5)", (staff_id, staff_id))
            await tx.execute(
                "INSERT INTO report_assignments (report_seq, unit_id, staff_id, assigned_by, day) "
                "VALUES (1, 'u1', ?, ?, '2026-03-04')",
                (staff_id, staff_id),
            )
        await audit.record(db, audit.pending("note", report_id="r1", clock=lambda: _OLD_TIME))

    async with migrated(path, up_to) as db:
        wal = path.with_name(path.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0, "no page from before lingers in the WAL"
        rows = await db.fetch_all("SELECT id, seq FROM reports ORDER BY id")
        seqs = {str(r[0]): int(r[1]) for r in rows}
        assert all(s > 2**32 for s in seqs.values()), "no counter left"
        assert await db.fetch_all("PRAGMA foreign_key_check") == []
        items = await db.fetch_all(
            "SELECT r.id, i.kind, i.n, i.id FROM items i JOIN reports r ON r.seq = i.report_seq "
            "ORDER BY r.id, i.n"
        )
        assert [(r[0], r[1], r[2]) for r in items] == [
            ("r1", "report", 1),
            ("r1", "note", 2),
            ("r1", "note", 3),
            ("r2", "report", 1),
            ("r2", "reporter_message", 2),
        ]
        assert all(int(r[3]) > 2**32 for r in items)
        follow_up = next(int(r[3]) for r in items if r[1] == "reporter_message")
        assert tuple(await db.fetch_one("SELECT item_id, report_seq FROM files") or ()) == (
            follow_up,
            seqs["r2"],
        )
        reads = await db.fetch_all("SELECT report_seq, seen_n FROM report_reads ORDER BY seen_n")
        assert [(int(r[0]), int(r[1])) for r in reads] == [(seqs["r2"], 1), (seqs["r1"], 3)]
        assigned = await db.fetch_one("SELECT report_seq FROM report_assignments")
        assert assigned is not None and int(assigned[0]) == seqs["r1"]
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as tx:
                await tx.execute("UPDATE report_assignments SET day = '2026-03-05'")
        # A new item takes the next position of its own report.
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO items (id, report_seq, kind, created_day, ciphertext, key_for_unit) "
                "VALUES (?, ?, 'reporter_message', '2026-03-05', x'01', x'02')",
                (2**40 + 7, seqs["r2"]),
            )
        added = await db.fetch_one("SELECT n FROM items WHERE id = ?", (2**40 + 7,))
        assert added is not None and int(added[0]) == 3
        # The audit chain still verifies: the old entry keeps the time it was hashed with,
        # new entries carry the day only.
        await audit.record(db, audit.pending("note", report_id="r1"))
        entries = await audit_store.entries(db)
        assert entries[0].entry.at == _OLD_TIME and len(entries[1].entry.at) == 10
        assert (await audit.verify(db)).ok
