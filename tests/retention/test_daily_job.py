"""The investigator app runs retention in the background (a cleanup_ctx task)."""

from __future__ import annotations

import asyncio

from dropbox_server.app import create_investigator_app
from dropbox_server.config import RetentionSettings, Settings
from dropbox_server.web.appkeys import Services
from tests.conftest import _start
from tests.investigator.conftest import Workspace, submit


async def test_the_background_job_deletes_what_has_expired(
    workspace: Workspace, services: Services, settings: Settings
) -> None:
    _, report_id = await submit(workspace)
    async with services.db.transaction() as tx:
        await tx.execute(
            "UPDATE reports SET outcome = 'out-of-scope', last_activity_day = '2001-01-01' WHERE id = ?",
            (report_id,),
        )
    quick = settings.with_changes(retention=RetentionSettings(run_every_seconds=0.2))
    runner, _ = await _start(create_investigator_app(quick, services))
    try:
        for _ in range(50):
            if await services.db.fetch_one("SELECT 1 FROM reports WHERE id = ?", (report_id,)) is None:
                break
            await asyncio.sleep(0.1)
    finally:
        await runner.cleanup()
    assert await services.db.fetch_one("SELECT 1 FROM reports WHERE id = ?", (report_id,)) is None
    row = await services.db.fetch_one(
        "SELECT detail FROM audit_log WHERE action = 'report_deleted' AND report_id = ?", (report_id,)
    )
    assert row is not None and "outcome=out-of-scope" in row[0]
