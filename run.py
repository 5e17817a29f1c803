#!/usr/bin/env python3
"""The tip drop's single entry point: `python run.py --help` lists the subcommands."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from dropbox_server.cli import key_commands, setup_commands
from dropbox_server.cli.prompts import CliError
from dropbox_server.cli.settings_args import add_data_dir
from dropbox_server.datadir import DataDirError

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py", description="Anonymous tip drop for reports of police corruption and abuse."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create a data directory: database, pepper, unit keys")
    add_data_dir(p)
    p.set_defaults(func=setup_commands.cmd_init)

    p = sub.add_parser("serve", help="run both sites on 127.0.0.1 (behind onion services)")
    add_data_dir(p)
    p.add_argument("--no-tor", action="store_true", help="serve on 127.0.0.1 only, without onions")
    p.add_argument("--reporter-port", type=int, help="reporter site port (default 8080)")
    p.add_argument("--investigator-port", type=int, help="investigator site port (default 8081)")
    p.set_defaults(func=setup_commands.cmd_serve)

    keys = sub.add_parser("keys", help="manage units, staff and keys (security staff only)")
    ksub = keys.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    p = ksub.add_parser("add-investigator", help="enrol a staff member in a unit")
    add_data_dir(p)
    p.add_argument("--unit", required=True, help="unit id (see `keys list-units`)")
    p.add_argument("--username", required=True)
    p.add_argument("--role", default="investigator", choices=("investigator", "supervisor", "call_handler"))
    p.set_defaults(func=key_commands.cmd_add_investigator)
    p = ksub.add_parser("list-units", help="list units with their key ids and fingerprints")
    add_data_dir(p)
    p.set_defaults(func=key_commands.cmd_list_units)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    func: Command = args.func
    try:
        return func(args)
    except (CliError, DataDirError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
