"""`keys create-unit`, `reset-password`, `reset-totp`, `move-investigator`: account changes by
security staff."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from dropbox_server import totp
from dropbox_server.cli.key_lifecycle_commands import _custodian
from dropbox_server.cli.prompts import CliError, ask_secret, confirm
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.clock import today
from dropbox_server.keys import staff_changes
from dropbox_server.keys.revocation import RemovalRefused
from dropbox_server.keys.rotation import RotationError
from dropbox_server.store import open_database


def register(keys: Any) -> None:
    """Add the account and onion subcommands to `keys`."""
    p = keys.add_parser("create-unit", help="create a unit (a new force or a renamed one) with a key pair")
    add_data_dir(p)
    p.add_argument("--id", required=True, help="short id, e.g. new-force-police")
    p.add_argument("--name", required=True, help="the unit's full name")
    p.add_argument("--kind", default="force", choices=("force", "hub"))
    p.set_defaults(func=cmd_create_unit)
    p = keys.add_parser(
        "reset-password", help="set a new password (re-keys the account if the old one is lost)"
    )
    add_data_dir(p)
    p.add_argument("--username", required=True)
    p.add_argument(
        "--old-password-lost", action="store_true", help="re-key with the security staff passphrase"
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_reset_password)
    p = keys.add_parser("reset-totp", help="give an account a new authenticator secret")
    add_data_dir(p)
    p.add_argument("--username", required=True)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_reset_totp)
    p = keys.add_parser("move-investigator", help="move a member of staff to another unit")
    add_data_dir(p)
    p.add_argument("--username", required=True)
    p.add_argument("--to-unit", required=True)
    p.add_argument("--force", action="store_true", help="even if they are their unit's last key holder")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_move)


def _new_password(username: str) -> str:
    password = ask_secret(f"New password for {username}", confirm=True)
    if len(password) < 10:
        raise CliError("the password must be at least 10 characters")
    return password


def _show_totp(username: str, secret: str) -> None:
    print(f"New authenticator secret for {username} (hand it over in person): {secret}")
    print(totp.qr_terminal(totp.provisioning_uri(secret, username)))


async def _create_unit(args: argparse.Namespace) -> int:
    db = await open_database(settings_from_args(args).database_path)
    try:
        return await staff_changes.create_unit(db, args.id, args.name, args.kind, today())
    except staff_changes.StaffChangeRefused as exc:
        raise CliError(str(exc)) from None
    finally:
        await db.close()


def cmd_create_unit(args: argparse.Namespace) -> int:
    key_id = asyncio.run(_create_unit(args))
    print(
        f"Created unit {args.id} ({args.name}) with key #{key_id}; enrol its members with add-investigator."
    )
    return 0


async def _reset_password(args: argparse.Namespace) -> staff_changes.Reset:
    kdf = settings_from_args(args).password_kdf
    try:
        if args.old_password_lost:
            async with _custodian(args) as (db, custodian):
                new = _new_password(args.username)
                return await staff_changes.reset_password(
                    db, args.username, new, kdf, old_password=None, custodian_private=custodian
                )
        db = await open_database(settings_from_args(args).database_path)
        try:
            old = ask_secret(f"Current password of {args.username}")
            new = _new_password(args.username)
            return await staff_changes.reset_password(
                db, args.username, new, kdf, old_password=old, custodian_private=None
            )
        finally:
            await db.close()
    except staff_changes.StaffChangeRefused as exc:
        raise CliError(str(exc)) from None


def cmd_reset_password(args: argparse.Namespace) -> int:
    if args.old_password_lost and not confirm(
        f"Re-key {args.username}? Their authenticator will be replaced too.", assume_yes=args.yes
    ):
        print("Nothing was changed.")
        return 1
    done = asyncio.run(_reset_password(args))
    if done.totp_secret:
        print(f"{done.username} has a new key pair, their unit's keys and a new authenticator.")
        _show_totp(done.username, done.totp_secret)
    else:
        print(f"{done.username}'s password is changed; their key and authenticator are unchanged.")
    return 0


async def _reset_totp(args: argparse.Namespace) -> str:
    db = await open_database(settings_from_args(args).database_path)
    try:
        return await staff_changes.reset_totp(db, args.username)
    except staff_changes.StaffChangeRefused as exc:
        raise CliError(str(exc)) from None
    finally:
        await db.close()


def cmd_reset_totp(args: argparse.Namespace) -> int:
    if not confirm(f"Replace {args.username}'s authenticator?", assume_yes=args.yes):
        print("Nothing was changed.")
        return 1
    _show_totp(args.username, asyncio.run(_reset_totp(args)))
    return 0


async def _move(args: argparse.Namespace) -> None:
    async with _custodian(args) as (db, custodian):
        try:
            new_key = await staff_changes.move_staff(
                db, args.username, args.to_unit, custodian, today(), force=args.force
            )
        except (staff_changes.StaffChangeRefused, RemovalRefused, RotationError) as exc:
            raise CliError(str(exc)) from None
    print(f"Moved {args.username} to {args.to_unit}: they hold its keys, and none of their old unit's.")
    if new_key is not None:
        print(f"Their old unit now seals new reports to key #{new_key}, which they never held.")


def cmd_move(args: argparse.Namespace) -> int:
    if not confirm(f"Move {args.username} to {args.to_unit}?", assume_yes=args.yes):
        print("Nothing was changed.")
        return 1
    asyncio.run(_move(args))
    return 0
