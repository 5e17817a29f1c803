"""What the officer's `keys` commands share: the database, the custodian key (from K shares),
new passwords, progress."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from dropbox_server import passwords
from dropbox_server.cli.prompts import CliError, ask_new_password
from dropbox_server.cli.settings_args import settings_from_args
from dropbox_server.cli.shares import ask_custodian_shares, unlock
from dropbox_server.custody import certify
from dropbox_server.custody.unit_admin import UnitRefused, check_username, existing_unit
from dropbox_server.store import Database, open_database

__all__ = ["ask_custodian_shares", "unlock"]  # kept here for the key commands


@asynccontextmanager
async def database(args: argparse.Namespace) -> AsyncIterator[Database]:
    """The service's database (it may be in use by the running service meanwhile)."""
    settings = settings_from_args(args)
    if not settings.database_path.exists():
        raise CliError(f"no database in {settings.data_dir}; is --data-dir right?")
    db = await open_database(settings.database_path)
    try:
        if db.audit_seed is not None:
            # An upgraded directory is certified at its first open with audit.key, whether by
            # `serve` or by a key command (custody/certify.py: the trust point).
            await certify.certify_upgrade(db)
            await certify.certify_units_upgrade(db)
        yield db
    finally:
        await db.close()


async def check_unit_filter(db: Database, unit_id: str | None) -> None:
    """A listing's --unit must name a unit there is (None lists every unit)."""
    if unit_id is None:
        return
    try:
        await existing_unit(db, unit_id)
    except UnitRefused as exc:
        raise CliError(str(exc)) from None


def new_password(username: str) -> str:
    """A new staff password zxcvbn scores 4, or a generated passphrase (blank entry).

    Security: a weak password is refused without being stored or logged.
    """
    return ask_new_password(
        username, lambda p: passwords.weakness(p, (username,)), passwords.generated_passphrase
    )


def valid_username(username: str) -> str:
    try:
        return check_username(username)
    except UnitRefused as exc:
        raise CliError(str(exc)) from None


def bar(label: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        print(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr)
        if done >= total:
            print(file=sys.stderr)

    return show
