"""The statistics migration counts what was already stored; `run.py stats` prints the figures."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

import run
from dropbox_server.config import Settings
from dropbox_server.store import open_database
from dropbox_server.store.database import migrations
from tests.conftest import CHEAP_KDF, init_test_data_dir
from tests.stats.history import FORCE, MONTHS, build_history

STATS_MIGRATION = next(v for v, name, _ in migrations() if name.endswith("_stats_retention.sql"))


async def test_existing_reports_outcomes_and_transfers_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = await open_database(path, migrate_up_to=STATS_MIGRATION - 1)
    await db.close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO units VALUES ('a', 'A', 'force', '2025-01-01'), ('b', 'B', 'force', '2025-01-01')"
        )
        for seq, channel in ((1, "phone"), (2, "online")):
            conn.execute(
                "INSERT INTO reports (seq, id, unit_id, first_unit_id, channel, conduct, contact_scope, created_day,"
                " last_activity_day, lookup_id, reporter_public_key, report_public_key)"
                " VALUES (?, ?, 'a', 'a', ?, 'corruption', 'none', '2025-01-10', '2025-02-01', ?, x'00', x'00')",
                (seq, f"r{seq}", channel, bytes([seq])),
            )
        history = [(1, "a", "intelligence", "2025-02-01"), (1, "a", "assessing", "2025-02-02"),
                   (1, "a", "intelligence", "2025-03-01"), (2, "a", "investigation", "2025-02-03")]  # fmt: skip
        conn.executemany(
            "INSERT INTO outcome_history (report_seq, unit_id, outcome, previous, day) VALUES (?, ?, ?, 'new', ?)",
            history,
        )
        conn.execute("INSERT INTO unit_keys VALUES (1, 'a', x'00', '2025-01-01', NULL)")
        conn.execute(
            "INSERT INTO transfers (report_seq, from_unit_id, to_unit_id, day, sender_unit_key_id, reason_ciphertext,"
            " reason_key_for_report, reason_key_for_sender) VALUES (2, 'a', 'b', '2025-03-05', 1, x'00', x'00', x'00')"
        )
    db = await open_database(path)
    try:
        rows = {
            (r[0], r[1], r[2]): r[3]
            for r in await db.fetch_all("SELECT unit_id, month, measure, count FROM stats_monthly")
        }
    finally:
        await db.close()
    assert rows == {
        ("a", "2025-01", "phone_report"): 1,
        ("a", "2025-01", "online_report"): 1,
        ("a", "2025-01", "received"): 2,
        ("a", "2025-02", "intelligence"): 1,  # reopened and decided again: counted once, when first
        ("a", "2025-02", "investigation"): 1,
        ("a", "2025-03", "passed_on"): 1,
        ("b", "2025-03", "received"): 1,
    }


def _history_dir(tmp_path: Path) -> Path:
    settings = Settings.for_data_dir(tmp_path / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)

    async def build() -> None:
        await init_test_data_dir(settings)
        db = await open_database(settings.database_path)
        try:
            await build_history(db)
        finally:
            await db.close()

    asyncio.run(build())
    return settings.data_dir


def test_stats_command_prints_the_seed_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = str(_history_dir(tmp_path))
    base = ["stats", "--data-dir", data_dir, "--from", MONTHS[0], "--to", MONTHS[-1], "--force", FORCE]
    assert run.main([*base, "--period", "quarter", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {k: data["total"][k]["value"] for k in ("calls", "online", "intelligence", "investigation", "passed_on")} == {
        "calls": 1988, "online": 890, "intelligence": 867, "investigation": 728, "passed_on": 139,
    }  # fmt: skip
    assert len(data["rows"]) == 5
    assert run.main([*base, "--format", "table"]) == 0
    text = capsys.readouterr().out
    total = next(line for line in text.splitlines() if line.startswith("total"))
    assert total.split()[1:4] == ["1,988", "890", "2,770"]
    assert run.main([*base, "--format", "csv", "--period", "year"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("period,calls,online,received,intelligence,investigation")
    assert lines[-1].split(",")[:6] == ["total", "1988", "890", "2770", "867", "728"]
    assert run.main([*base[:-2], "--force", "nowhere"]) == 1
    assert run.main([*base[:3], "--from", "2025-13", "--to", "2025-01"]) == 1
