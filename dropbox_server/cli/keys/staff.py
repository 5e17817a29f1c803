"""`keys add-investigator`, `list-units`, `set-routing`, `create-unit`, `reset-password`,
`reset-totp`, `move-investigator`: units, routing and accounts, changed by security staff."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from dropbox_server import envelope, totp
from dropbox_server.cli.keys.lifecycle import _custodian
from dropbox_server.cli.prompts import CliError, ask_secret, confirm
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import keyring, staff_auth, staff_changes
from dropbox_server.custody.desk import RoutingError, switch_routing
from dropbox_server.custody.revocation import RemovalRefused
from dropbox_server.custody.rotation import RotationError
from dropbox_server.forces import DESK_ID
from dropbox_server.store import deployment as deployment_store
from dropbox_server.store import open_database, units
from dropbox_server.store.deployment import DESK, ROUTINGS


def register(keys: Any) -> None:
    """Add the unit and account changes to `keys`."""
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


def register_accounts(keys: Any) -> None:
    """Add the `keys` subcommands for units and staff."""
    p = keys.add_parser("add-investigator", help="enrol a staff member in a unit")
    add_data_dir(p)
    p.add_argument("--unit", required=True, help="unit id (see `keys list-units`)")
    p.add_argument("--username", required=True)
    p.add_argument("--role", default="investigator", choices=keyring.ROLES)
    p.add_argument("--no-qr", action="store_true", help="do not draw the authenticator QR code")
    p.set_defaults(func=cmd_add_investigator)
    p = keys.add_parser("list-units", help="show the routing and list units with their key ids")
    add_data_dir(p)
    p.set_defaults(func=cmd_list_units)
    p = keys.add_parser(
        "set-routing",
        help="route new reports to the independent desk (creating it) or directly to forces",
    )
    add_data_dir(p)
    p.add_argument("--routing", required=True, choices=ROUTINGS)
    p.set_defaults(func=cmd_set_routing)


async def _add_investigator(settings: Settings, args: argparse.Namespace) -> staff_auth.Enrolment:
    db = await open_database(settings.database_path)
    try:
        custodian_private = None
        if args.role in keyring.ROLES_WITH_UNIT_KEYS:
            passphrase = ask_secret("Security staff passphrase")
            try:
                custodian_private = await keyring.unlock_custodian(db, passphrase)
            except envelope.WrongPassword:
                raise CliError("wrong security staff passphrase; nothing was changed") from None
        password = ask_secret(f"New password for {args.username}", confirm=True)
        if len(password) < 10:
            raise CliError("the password must be at least 10 characters")
        try:
            return await staff_auth.enrol_staff(
                db,
                username=args.username,
                unit_id=args.unit,
                role=args.role,
                password=password,
                custodian_private=custodian_private,
                kdf=settings.password_kdf,
                day=today(),
            )
        except keyring.KeyringError as exc:
            raise CliError(str(exc)) from None
    finally:
        await db.close()


def cmd_add_investigator(args: argparse.Namespace) -> int:
    """Enrol a staff member and their authenticator: the TOTP secret is shown once, here.

    Security: the secret is printed to this terminal only (never logged or written to a file);
    it is stored sealed to the new member's public key.
    """
    settings = settings_from_args(args)
    enrolment = asyncio.run(_add_investigator(settings, args))
    uri = totp.provisioning_uri(enrolment.totp_secret, args.username)
    print(f"Enrolled {args.username} (id {enrolment.staff_id}) as {args.role} in unit {args.unit}.")
    print("Give the new member this authenticator secret in person; it is shown only now.")
    print(f"TOTP secret: {enrolment.totp_secret}")
    print(f"otpauth URI: {uri}")
    if not args.no_qr:
        print(totp.qr_terminal(uri))
    return 0


async def _list_units(settings: Settings) -> tuple[str, list[tuple[str, str, list[str]]]]:
    db = await open_database(settings.database_path)
    try:
        out = []
        for unit in await units.list_units(db):
            keys = [
                f"#{k.id} {envelope.fingerprint(k.public_key)}{' (retired)' if k.retired_day else ''}"
                for k in await units.unit_keys(db, unit.id)
            ]
            out.append((unit.id, unit.name, keys))
        return await deployment_store.routing(db), out
    finally:
        await db.close()


def cmd_list_units(args: argparse.Namespace) -> int:
    routing, listed = asyncio.run(_list_units(settings_from_args(args)))
    print(f"Routing: {routing}" + (" (reports go to the independent desk)" if routing == DESK else ""))
    for unit_id, name, keys in listed:
        print(f"{unit_id:45} {name}")
        for key in keys:
            print(f"{'':45}   key {key}")
    return 0


async def _set_routing(settings: Settings, routing: str) -> bool:
    """Security: the custodian key is needed (see custody/desk.py); a wrong one changes nothing."""
    db = await open_database(settings.database_path)
    try:
        passphrase = ask_secret("Security staff passphrase")
        try:
            custodian_private = await keyring.unlock_custodian(db, passphrase)
        except envelope.WrongPassword:
            raise CliError("wrong security staff passphrase; nothing was changed") from None
        return await switch_routing(db, routing, today(), custodian_private)
    except RoutingError as exc:
        raise CliError(str(exc)) from None
    finally:
        await db.close()


def cmd_set_routing(args: argparse.Namespace) -> int:
    """Switch routing; reports already delivered stay where they are."""
    created = asyncio.run(_set_routing(settings_from_args(args), args.routing))
    if created:
        print(f"Created the desk unit ({DESK_ID}) with its first key, sealed to the custodian key.")
        print("Enrol its members with add-investigator --unit desk --role desk_analyst|desk_supervisor.")
    print(f"New reports are now routed: {args.routing}. Reports already delivered stay where they are.")
    return 0
