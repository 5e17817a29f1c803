"""What the officer's `keys` commands share: the database, the custodian key, new passwords, progress."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from dropbox_server import audit, envelope
from dropbox_server.cli.prompts import CliError, ask_secret
from dropbox_server.cli.settings_args import settings_from_args
from dropbox_server.custody import keyring
from dropbox_server.custody.unit_admin import UnitRefused, check_username
from dropbox_server.store import Database, open_database

MIN_PASSWORD = 10


@asynccontextmanager
async def database(args: argparse.Namespace) -> AsyncIterator[Database]:
    """The service's database (it may be in use by the running service meanwhile)."""
    settings = settings_from_args(args)
    if not settings.database_path.exists():
        raise CliError(f"no database in {settings.data_dir}; is --data-dir right?")
    db = await open_database(settings.database_path)
    try:
        yield db
    finally:
        await db.close()


async def unlock(db: Database, passphrase: str) -> bytes:
    """The custodian private key; a wrong passphrase is audited and refused.

    Security: the failed attempt is recorded (with the operator), never the passphrase.
    """
    try:
        return await keyring.unlock_custodian(db, passphrase)
    except envelope.WrongPassword:
        await audit.record(db, audit.pending("custodian_passphrase_failed", username="(command line)"))
        raise CliError("wrong security staff passphrase; nothing was changed") from None


def ask_passphrase() -> str:
    return ask_secret("Security staff passphrase")


def new_password(username: str, passphrase: str) -> str:
    """A new staff password, asked twice on a terminal; never equal to the staff passphrase.

    Security: refused without storing or logging either; an account whose password is the
    security staff passphrase would hand it to whoever learns that password.
    """
    password = ask_secret(f"New password for {username}", confirm=True)
    if len(password) < MIN_PASSWORD:
        raise CliError(f"the password must be at least {MIN_PASSWORD} characters; nothing was changed")
    if envelope.secret_equal(password.encode("utf-8"), passphrase.encode("utf-8")):
        raise CliError(
            "that is the security staff passphrase, not a new password for "
            f"{username}; nothing was changed (check the order of the answers)"
        )
    return password


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
