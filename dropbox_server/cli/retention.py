"""`retention run`: delete reports past their retention period now (the server also does daily)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from dropbox_server.cli.prompts import CliError
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.files.disk import FileDir
from dropbox_server.reports.retention import RetentionResult, run_retention
from dropbox_server.store import open_database


def register(sub: Any) -> None:
    """Add `retention run`."""
    parser = sub.add_parser("retention", help="delete reports past their retention period")
    rsub = parser.add_subparsers(dest="retention_command", required=True, metavar="RETENTION_COMMAND")
    p = rsub.add_parser("run", help="delete expired reports, their replies and files (audited)")
    add_data_dir(p)
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted; delete nothing")
    p.set_defaults(func=cmd_run)


async def _run(settings: Settings, dry_run: bool) -> RetentionResult:
    if not settings.database_path.exists():
        raise CliError(f"no database in {settings.data_dir}")
    db = await open_database(settings.database_path)
    try:
        return await run_retention(
            db, FileDir(settings.files_dir), settings.retention, today(), dry_run=dry_run
        )
    finally:
        await db.close()


def cmd_run(args: argparse.Namespace) -> int:
    """Print one line per report deleted (id, unit, outcome, last activity day), then a summary."""
    settings = settings_from_args(args)
    result = asyncio.run(_run(settings, args.dry_run))
    verb = "would delete" if result.dry_run else "deleted"
    for r in result.deleted:
        print(f"{verb} {r.id}  unit={r.unit_id}  outcome={r.outcome}  last_activity={r.last_activity_day}")
    print(
        f"{len(result.deleted)} reports {verb}; {result.files_removed} files removed; "
        f"{result.withdrawn_records_expired} withdrawal records expired."
    )
    return 0
