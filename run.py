#!/usr/bin/env python3
"""The tip drop's single entry point: `python run.py --help` lists the subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import onion_config
from dropbox_server.cli import audit, backup, keys, retention, serve, shares, stats, status
from dropbox_server.cli.prompts import CliError
from dropbox_server.datadir import DataDirError
from dropbox_server.logs import configure_logging

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """One module per command group registers its subcommands."""
    parser = argparse.ArgumentParser(
        prog="run.py", description="Anonymous tip drop for reports of police corruption and abuse."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    keys.register(sub)
    serve.register(sub)
    audit.register(sub)
    stats.register(sub)
    retention.register(sub)
    status.register(sub)
    backup.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    func: Command = args.func
    try:
        shares.refuse_unsplit(args)
        return func(args)
    except (CliError, DataDirError, onion_config.TorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
