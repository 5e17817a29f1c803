"""A read sees every write committed before it starts, even while other reads are running.

SQLite keeps a connection's read snapshot for as long as any of its statements is open. The
reader connection is shared by every request, so before reads took turns a read queued behind
a long one ran inside that one's snapshot and missed a row committed meanwhile: `run.py demo`
(53 enrolments at once) now and then found an enrolment code it had just stored "unknown".
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from dropbox_server.store import open_database

# A read whose first row takes a while (about a second here) and that has more rows after it, so
# its statement stays open (holding its snapshot) until they are fetched.
# It reads a table first: a read that touches no table takes no snapshot.
LONG_READ = ("WITH RECURSIVE c(x) AS (SELECT count(*) FROM sqlite_master "
             "UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
             "SELECT max(x) FROM c UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4")


async def test_a_read_behind_a_long_read_sees_a_row_committed_meanwhile(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "tipdrop.db")
    try:
        await db.fetch_all("SELECT 1")  # the reader is open and idle
        long_read = asyncio.create_task(db.fetch_all(LONG_READ))
        await asyncio.sleep(0.2)  # the long read has begun (its snapshot is taken)
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE committed_meanwhile (x INTEGER)")
            await tx.execute("INSERT INTO committed_meanwhile VALUES (42)")
        found = await db.fetch_all("SELECT name FROM sqlite_master WHERE name = 'committed_meanwhile'")
        assert [tuple(r) for r in found] == [("committed_meanwhile",)]
        assert [r[0] for r in await long_read] == [3000000, 2, 3, 4]
    finally:
        await db.close()
