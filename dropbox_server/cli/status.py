"""`status`: the service's health at a glance, for people (text) and monitoring (`--json`)."""

from __future__ import annotations

import argparse
from typing import Any

from dropbox_server import health
from dropbox_server.cli.settings_args import add_data_dir
from dropbox_server.clock import today
from dropbox_server.config import Settings


def register(sub: Any) -> None:
    """Add `status`."""
    p = sub.add_parser(
        "status",
        help="tor, onions, database, disk, backups, keys and retention; exit 0 only when all is well",
    )
    add_data_dir(p)
    p.add_argument("--json", action="store_true", help="print JSON for monitoring")
    p.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    """Read-only: opens the database read-only and changes nothing, so it is safe beside `serve`."""
    report = health.gather(Settings.for_data_dir(args.data_dir), today())
    print(report.as_json() if args.json else report.as_text())
    return 0 if report.ok else 1
