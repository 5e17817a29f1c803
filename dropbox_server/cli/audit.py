"""`audit …`: security staff check the hash-chained audit trail from the command line."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from dropbox_server import audit
from dropbox_server.cli.prompts import CliError
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.config import Settings
from dropbox_server.store import open_database


def register(sub: Any) -> None:
    """Add `audit verify`."""
    audit_parser = sub.add_parser("audit", help="check the staff audit trail")
    asub = audit_parser.add_subparsers(dest="audit_command", required=True, metavar="AUDIT_COMMAND")
    p = asub.add_parser("verify", help="verify the hash chain; names the first broken entry")
    add_data_dir(p)
    p.set_defaults(func=cmd_verify)


async def _verify(settings: Settings) -> audit.Verification:
    if not settings.database_path.exists():
        raise CliError(f"no database in {settings.data_dir}")
    db = await open_database(settings.database_path)
    try:
        return await audit.verify(db)
    finally:
        await db.close()


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 when every entry links to the one before; 1 naming the first that does not.

    The head hash is printed so it can be written down elsewhere: comparing it later shows
    whether newest entries were cut off, which no chain can show by itself.
    """
    result = asyncio.run(_verify(settings_from_args(args)))
    if not result.ok:
        print(f"Audit log BROKEN at entry {result.broken_seq}: it {result.problem}.")
        print(f"{result.entries} entries before it verify.")
        return 1
    print(f"Audit log intact: {result.entries} entries.")
    print(f"Head hash: {result.head.hex()}")
    return 0


async def _log(settings: Settings, action: str, detail: str) -> None:
    db = await open_database(settings.database_path)
    try:
        await audit.record(db, audit.pending(action, username="(command line)", detail=detail))
    finally:
        await db.close()


def log_command(args: argparse.Namespace, action: str, detail: str = "") -> None:
    """Append an audit entry for a command-line action that does not otherwise touch the database."""
    settings = settings_from_args(args)
    if settings.database_path.exists():
        asyncio.run(_log(settings, action, detail))
