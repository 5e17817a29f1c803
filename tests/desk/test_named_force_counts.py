"""The desk's "force named" count read from the trigger-kept counts equals counting the reports,
after reports are tagged, a tag is rewritten, a report moves to another unit and one is deleted."""

from __future__ import annotations

from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services
from dropbox_server.store.casework import InboxFilter, count_matching, count_named_force
from dropbox_server.store.reports import set_named_force_tags

KENT, ESSEX = b"k" * 32, b"e" * 32


async def _agree(services: Services) -> list[int]:
    counts = []
    for tag in (KENT, ESSEX):
        direct = await count_matching(services.db, "desk", InboxFilter(named_force_tag=tag))
        assert await count_named_force(services.db, "desk", tag) == direct, tag
        counts.append(direct)
    return counts


async def test_named_force_counts_follow_every_write(services: Services) -> None:
    db = services.db
    for n in range(5):
        content = ReportContent(force="kent-police", conduct="corruption", what_happened=f"report {n}")
        await submit_report(db, services.receipts, content, None, "online", "2026-12-01")
    seqs = [int(r[0]) for r in await db.fetch_all("SELECT seq FROM reports WHERE unit_id = 'desk' ORDER BY seq")]
    assert await _agree(services) == [0, 0]  # arrived untagged

    await set_named_force_tags(db, [(seq, KENT) for seq in seqs[:4]] + [(seqs[4], ESSEX)])
    assert await _agree(services) == [4, 1]

    async with db.transaction() as tx:  # a tag rewritten, a report leaves the desk, one is deleted
        await tx.execute("UPDATE reports SET named_force_tag = ? WHERE seq = ?", (ESSEX, seqs[0]))
        await tx.execute("UPDATE reports SET unit_id = 'kent-police' WHERE seq = ?", (seqs[1],))
        await tx.execute("DELETE FROM reports WHERE seq = ?", (seqs[2],))
    assert await _agree(services) == [1, 2]
    # No row is left for a tag no report carries any more.
    assert await db.fetch_one("SELECT 1 FROM report_named_force_counts WHERE reports = 0") is None
