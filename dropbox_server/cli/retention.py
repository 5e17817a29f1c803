"""`retention run`: delete reports past their retention period now (the server also does daily)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from dropbox_server.cli.interrupts import guard
from dropbox_server.cli.prompts import CliError, add_operator, add_yes, declined, end_of_input
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
    add_operator(p)
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted; delete nothing")
    add_yes(p)
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
    """Print one line per report deleted (id, unit, outcome, last activity day), then a summary.

    A real run first shows what it would delete (a dry run) and asks for confirmation.
    """
    settings = settings_from_args(args)
    end_of_input()
    preview = asyncio.run(_run(settings, True))
    for r in preview.deleted:
        print(
            f"would delete {r.id}  unit={r.unit_id}  outcome={r.outcome}  last_activity={r.last_activity_day}"
        )
    print(f"would delete {len(preview.deleted)} report(s); nothing was deleted yet.")
    if args.dry_run or not preview.deleted:
        return 0
    if declined(f"Delete these {len(preview.deleted)} report(s) for good?", assume_yes=args.yes):
        return 1
    with guard().changing("expired reports deleted"):
        result = asyncio.run(_run(settings, False))
    for r in result.deleted:
        print(f"deleted {r.id}  unit={r.unit_id}  outcome={r.outcome}  last_activity={r.last_activity_day}")
    print(
        f"deleted {len(result.deleted)} report(s); {result.files_removed} files removed; "
        f"{result.withdrawn_records_expired} withdrawal records expired."
    )
    return 0
