"""`keys …`: security staff manage units, staff and keys from the server's command line."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from dropbox_server import envelope, keyring, staff_auth, totp
from dropbox_server.cli.prompts import CliError, ask_secret
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.forces import DESK_ID
from dropbox_server.keys.desk import RoutingError, set_routing
from dropbox_server.reports.routing import DESK, ROUTINGS
from dropbox_server.store import deployment as deployment_store
from dropbox_server.store import open_database, units


def register(keys: Any) -> None:
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
    db = await open_database(settings.database_path)
    try:
        return await set_routing(db, routing, today())
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
