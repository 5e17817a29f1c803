#!/usr/bin/env python3
"""The tip drop's single entry point: `python run.py --help` lists the subcommands."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

import onion_config
from dropbox_server.cli import (
    audit_commands,
    backup_commands,
    key_commands,
    key_lifecycle_commands,
    onion_commands,
    onion_key_commands,
    retention_commands,
    setup_commands,
    staff_commands,
    stats_commands,
)
from dropbox_server.cli.prompts import CliError
from dropbox_server.datadir import DataDirError

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """Each command module registers its own subcommands."""
    parser = argparse.ArgumentParser(
        prog="run.py", description="Anonymous tip drop for reports of police corruption and abuse."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    keys = sub.add_parser("keys", help="manage units, staff and keys (security staff only)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    setup_commands.register(sub)
    onion_commands.register(sub, keys_sub)
    key_commands.register(keys_sub)
    key_lifecycle_commands.register(keys_sub)
    staff_commands.register(keys_sub)
    onion_key_commands.register(keys_sub)
    audit_commands.register(sub)
    stats_commands.register(sub)
    retention_commands.register(sub)
    backup_commands.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("stem").setLevel(logging.WARNING)  # stem logs every control-port call
    args = build_parser().parse_args(argv)
    func: Command = args.func
    try:
        return func(args)
    except (CliError, DataDirError, onion_config.TorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
