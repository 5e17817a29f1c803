"""A database writer cannot clear the key alarm (health's certificates check, failing while a
`key_check_failed` entry is unacknowledged) without `audit acknowledge` and its K shares:
not by writing an acknowledgement, nor by cutting the refusal off the tail of the log."""

from __future__ import annotations

import sqlite3

from dropbox_server import health
from dropbox_server.clock import today
from dropbox_server.config import Settings
from tests.conftest import init_test_data_dir
from tests.keys.key_swap import swap_refuse_and_put_back


def failing(settings: Settings) -> set[str]:
    return {c.name for c in health.gather(settings, today()).checks if not c.ok}


async def _refused_and_swapped_back(settings: Settings) -> set[str]:
    """Insider finding F4's first steps: Kent's key swapped, a seal refused (logged), swapped back."""
    await init_test_data_dir(settings)
    baseline = failing(settings)
    await swap_refuse_and_put_back(settings.database_path)
    assert "certificates" in failing(settings)
    return baseline


async def test_defence_an_acknowledgement_row_written_by_sql_breaks_the_audit_chain(settings: Settings) -> None:
    baseline = await _refused_and_swapped_back(settings)
    with sqlite3.connect(settings.database_path) as raw:
        last = raw.execute("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        cols = [d[1] for d in raw.execute("PRAGMA table_info(audit_log)")]
        row = dict(zip(cols, last, strict=True))
        row.update(seq=row["seq"] + 1, action="key_checks_acknowledged", detail="refused=1")
        raw.execute(f"INSERT INTO audit_log ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                    list(row.values()))
    now = failing(settings)
    assert "certificates" not in now and "audit chain" in now  # the alarm moved, it did not clear
    assert now != baseline


async def test_a_writer_deleting_the_refusal_at_the_tail_of_the_log_is_seen(settings: Settings) -> None:
    """Regression (insider finding U6, was 'attack succeeds'): the refusal was the newest entry
    and no checkpoint was written since, so deleting it left a whole chain. The refusal now
    moves the checkpoint kept beside the database, so the cut breaks the audit chain check."""
    baseline = await _refused_and_swapped_back(settings)
    with sqlite3.connect(settings.database_path) as raw:
        (top,) = raw.execute("SELECT max(seq) FROM audit_log").fetchone()
        (action,) = raw.execute("SELECT action FROM audit_log WHERE seq = ?", (top,)).fetchone()
        assert action == "key_check_failed"
        # The append-only trigger binds the product, not a writer holding the file.
        (trigger,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_log_no_delete'").fetchone()
        raw.execute("DROP TRIGGER audit_log_no_delete")
        raw.execute("DELETE FROM audit_log WHERE seq = ?", (top,))
        raw.execute(trigger)
    now = failing(settings)
    assert "audit chain" in now and now != baseline
