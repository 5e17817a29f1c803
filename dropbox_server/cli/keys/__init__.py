"""`python run.py keys ...`: units, staff and keys (security staff only).

The one place the `keys` group is registered; its subcommands live in this package's modules.
"""

from __future__ import annotations

from typing import Any

from dropbox_server.cli.keys import custodian, lifecycle, onions, staff


def register(sub: Any) -> None:
    """Add `keys` and every subcommand under it (in the order `--help` lists them)."""
    keys_parser = sub.add_parser("keys", help="manage units, staff and keys (security staff only)")
    keys = keys_parser.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    onions.register_clients(keys)
    staff.register_accounts(keys)
    lifecycle.register(keys)
    staff.register(keys)
    onions.register(keys)
    custodian.register(keys)
