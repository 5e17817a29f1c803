"""`keys add-investigator`, `approve-first`, `list-units`, `set-routing`, `create-unit`, `rename-unit`,
`retire-unit`, `reset-password`, `reset-totp`, `move-investigator`: units, routing and accounts,
changed by security staff.

Every command reads all its answers first (cli.prompts, same order whatever the options),
refuses extra input, and only then changes anything, inside `guard().changing(...)`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from dropbox_server.cli.interrupts import guard
from dropbox_server.cli.keys.officer import (
    ask_custodian_shares,
    check_unit_filter,
    database,
    new_password,
    unlock,
    valid_username,
)
from dropbox_server.cli.prompts import (
    CliError,
    add_operator,
    add_yes,
    ask_line,
    ask_secret,
    declined,
    end_of_input,
)
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.clock import today
from dropbox_server.custody import enrolment, keyring, staff_changes, unit_admin, unit_check
from dropbox_server.custody.desk import RoutingError, switch_routing
from dropbox_server.custody.revocation import RemovalRefused
from dropbox_server.custody.rotation import RotationError
from dropbox_server.forces import DESK_ID
from dropbox_server.store import Database
from dropbox_server.store import deployment as deployment_store
from dropbox_server.store import unit_admin as unit_admin_store
from dropbox_server.store.deployment import DESK, ROUTINGS

T = TypeVar("T")


def register(keys: Any) -> None:
    """Add the unit and account changes to `keys`."""
    p = keys.add_parser(
        "create-unit", help="create a unit (a new force or a renamed one) with a key pair (K shares)"
    )
    _common(p)
    p.add_argument(
        "--id", required=True, help="short id: lowercase words joined by '-', e.g. new-force-police"
    )
    p.add_argument("--name", required=True, help="the unit's full name")
    p.add_argument("--kind", default="force", choices=("force", "hub"))
    p.set_defaults(func=cmd_create_unit)
    p = keys.add_parser(
        "rename-unit", help="give a unit a new name (K custodian shares; its id, keys and reports stay)"
    )
    _common(p)
    p.add_argument("--id", required=True, help="the unit's id (see `keys list-units`)")
    p.add_argument("--name", required=True, help="the unit's new full name")
    p.set_defaults(func=cmd_rename_unit)
    p = keys.add_parser(
        "retire-unit",
        help="route no new reports to a unit (K custodian shares; refused while it holds open reports)",
    )
    _common(p)
    p.add_argument("--id", required=True, help="the unit's id (see `keys list-units`)")
    p.set_defaults(func=cmd_retire_unit)
    p = keys.add_parser(
        "reset-password",
        help="set a new password, or (old one lost) make a re-key code for the member to redeem",
    )
    _common(p)
    p.add_argument("--username", required=True)
    p.add_argument(
        "--old-password-lost", action="store_true",
        help="K custodian shares, then a one-time re-key code: the member makes a new key",
    )
    p.set_defaults(func=cmd_reset_password)
    p = keys.add_parser(
        "reset-totp",
        help="a lost authenticator: K custodian shares, then a re-key code for the member to redeem",
    )
    _common(p)
    p.add_argument("--username", required=True)
    p.set_defaults(func=cmd_reset_totp)
    p = keys.add_parser("move-investigator", help="move a member of staff to another unit")
    _common(p)
    p.add_argument("--username", required=True)
    p.add_argument("--to-unit", required=True)
    p.add_argument("--force", action="store_true", help="even if they are their unit's last key holder")
    p.set_defaults(func=cmd_move)


def _common(p: argparse.ArgumentParser) -> None:
    add_data_dir(p)
    add_operator(p)
    add_yes(p)


def _refused(exc: Exception) -> CliError:
    return CliError(f"{exc}; nothing was changed")


async def _create_unit(args: argparse.Namespace, unit_id: str, name: str, shares: list[str]) -> int:
    async with database(args) as db:
        await unlock(db, shares)  # a second person: K share holders agree to the new unit
        try:
            with guard().changing(f"unit {unit_id} created"):
                return await staff_changes.create_unit(db, unit_id, name, args.kind, today())
        except (staff_changes.StaffChangeRefused, unit_admin.UnitRefused, keyring.KeyringError) as exc:
            raise _refused(exc) from None  # KeyringError: the custodian key failed its check


def cmd_create_unit(args: argparse.Namespace) -> int:
    """A new unit with its first key pair, with K custodian shares.

    Security: a new force unit is on the reporter's, the phone form's and the passing-on lists
    at once. One officer alone could add "Kent Police" beside Kent's real unit: reports a
    reporter or the desk sent to it would reach a unit nobody holds a key of (silently lost to
    Kent until K share holders approve a first key holder: whoever the officer enrolled).
    Like `rename-unit`, it needs K share holders, and names that look alike are refused.
    """
    try:
        unit_id = unit_admin.check_unit_id(args.id)
        name = unit_admin.check_unit_name(args.name)
    except unit_admin.UnitRefused as exc:
        raise _refused(exc) from None
    shares = ask_custodian_shares()
    end_of_input()
    if declined(
        f"Create the {args.kind} unit {unit_id} ({name}) with a new key pair?", assume_yes=args.yes
    ):
        return 1
    key_id = asyncio.run(_create_unit(args, unit_id, name, shares))
    print(f"Created unit {unit_id} ({name}) with key #{key_id}; enrol its members with add-investigator.")
    print("It is on the reporter's and the phone form's list of forces from now on.")
    return 0


async def _change_unit(
    args: argparse.Namespace, done: str, change: Callable[[Database], Awaitable[T]],
    shares: list[str] | None = None,
) -> T:
    """`change` on the unit `args.id`, refused (nothing changed) if there is no such unit,
    or, when `shares` are given, if they do not open the custodian key (a second person)."""
    async with database(args) as db:
        if shares is not None:
            await unlock(db, shares)
        try:
            await unit_admin.existing_unit(db, args.id)
            with guard().changing(f"unit {args.id} {done}"):
                return await change(db)
        except unit_admin.UnitRefused as exc:
            raise _refused(exc) from None


def cmd_rename_unit(args: argparse.Namespace) -> int:
    """A unit's new name, with K custodian shares.

    Security (insider finding D5): the reporter's and the phone form's list of forces shows
    unit names, so a rename changes where a reporter's words go (swap two names and a report
    about Kent reaches Essex); like `set-routing`, it needs K share holders, not one officer.
    """
    try:
        name = unit_admin.check_unit_name(args.name)
    except unit_admin.UnitRefused as exc:
        raise _refused(exc) from None
    shares = ask_custodian_shares()
    end_of_input()
    if declined(f"Rename {args.id} to {name!r}?", assume_yes=args.yes):
        return 1
    old = asyncio.run(_change_unit(
        args, "renamed", lambda db: unit_admin.rename_unit(db, args.id, args.name), shares=shares
    ))
    print(f"Renamed {args.id}: {old!r} is now {name!r}. Its id, keys and reports are unchanged.")
    return 0


def cmd_retire_unit(args: argparse.Namespace) -> int:
    """No new reports for a unit, with K custodian shares.

    Security: a retired force leaves the reporter's and the phone form's lists, and under
    direct routing a report naming it goes to the national hub: retiring changes who reads new
    reports about that force, and nothing brings a unit back. One officer alone could take
    Kent off the lists (and offer a look-alike in its place), so it needs K share holders.
    """
    shares = ask_custodian_shares()
    end_of_input()
    if declined(f"Retire {args.id}? No new reports will be routed to it.", assume_yes=args.yes):
        return 1
    asyncio.run(_change_unit(
        args, "retired", lambda db: unit_admin.retire_unit(db, args.id, today()), shares=shares
    ))
    print(f"Retired {args.id}: no new reports are routed to it; its members still read what it holds.")
    return 0


async def _reset_password(args: argparse.Namespace, old: str, new: str) -> staff_changes.Reset:
    kdf_settings = settings_from_args(args).password_kdf
    async with database(args) as db:
        try:
            with guard().changing(f"{args.username}'s password changed"):
                return await staff_changes.reset_password(
                    db, args.username, new, kdf_settings, old_password=old
                )
        except staff_changes.StaffChangeRefused as exc:
            raise CliError(str(exc)) from None


async def _rekey(args: argparse.Namespace, shares: list[str]) -> enrolment.Invitation:
    """Make a re-key code for an account, after checking the K shares."""
    async with database(args) as db:
        await unlock(db, shares)  # a re-key ceremony needs K share holders present
        try:
            with guard().changing(f"a re-key code for {args.username} made"):
                return await enrolment.invite_rekey(
                    db, username=args.username, requested_by=_requested_by(args), day=today(),
                    show=_show_rekey_code,
                )
        except keyring.KeyringError as exc:
            raise _refused(exc) from None


def _show_rekey_code(invited: enrolment.Invitation) -> None:
    """Print the code and flush: a closed pipe raises here, before anything is stored."""
    print(f"Re-key code for {invited.username}, shown only now:")
    print(f"    {invited.code}")
    sys.stdout.flush()


def _rekey_told(username: str, expires_day: str) -> None:
    print(f"Hand it to {username} in person. It works once, until {expires_day}, on the staff site's")
    print("'Enrol with a code' page, where they choose a new password and authenticator and a new")
    print("key is made. They read its fingerprint to the person who approves it: another key holder")
    print("of their unit, or, if there is none, security staff with `keys approve-first`. Until then")
    print("their old key stays; once approved it no longer works, and their unit's members are told.")


def _confirmed_rekey(args: argparse.Namespace, shares: list[str]) -> int:
    """Once asked and agreed, make a re-key code for `args.username` and say what happens next."""
    end_of_input()
    if declined(
        f"Make a re-key code for {args.username}? They will get a new key and authenticator.",
        assume_yes=args.yes,
    ):
        return 1
    invited = asyncio.run(_rekey(args, shares))
    _rekey_told(invited.username, invited.expires_day)
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    """With the old password: re-wrap the same key. Lost: K shares, then a one-time re-key code.

    Security (insider finding K4): for a lost password security staff never type the new
    password nor see the new authenticator secret; the member makes both, and a new key pair,
    when they redeem the code, and a second person approves it by its fingerprint.
    """
    if args.old_password_lost:
        return _confirmed_rekey(args, ask_custodian_shares())
    old = ask_secret(f"Current password of {args.username}")
    new = new_password(args.username)
    end_of_input()
    done = asyncio.run(_reset_password(args, old, new))
    print(f"{done.username}'s password is changed; their key and authenticator are unchanged.")
    return 0


def cmd_reset_totp(args: argparse.Namespace) -> int:
    """A lost authenticator: K custodian shares, then a one-time re-key code, as for a lost password.

    Security (K4): security staff never see the new authenticator secret; the member makes a
    new one with a new password and key pair when they redeem the code. (Insider finding D1)
    the code replaces the account's key, and for a role without unit keys (call handler,
    security) at once on redemption, so making it needs K share holders, not one officer.
    """
    return _confirmed_rekey(args, ask_custodian_shares())


async def _move(args: argparse.Namespace, shares: list[str]) -> int | None:
    async with database(args) as db:
        custodian = await unlock(db, shares)
        try:
            with guard().changing(f"{args.username} moved to {args.to_unit}"):
                return await staff_changes.move_staff(
                    db, args.username, args.to_unit, custodian, today(), force=args.force
                )
        except (staff_changes.StaffChangeRefused, RemovalRefused, RotationError) as exc:
            raise CliError(str(exc)) from None


def cmd_move(args: argparse.Namespace) -> int:
    shares = ask_custodian_shares()
    end_of_input()
    if declined(f"Move {args.username} to {args.to_unit}?", assume_yes=args.yes):
        return 1
    new_key = asyncio.run(_move(args, shares))
    print(f"Moved {args.username} to {args.to_unit}: they hold its keys, and none of their old unit's.")
    if new_key is not None:
        print(f"Their old unit now seals new reports to key #{new_key}, which they never held.")
    return 0


def register_accounts(keys: Any) -> None:
    """Add the `keys` subcommands for units and staff."""
    p = keys.add_parser(
        "add-investigator", help="make a one-time enrolment code for a new staff member of a unit"
    )
    add_data_dir(p)
    add_operator(p)
    p.add_argument("--unit", required=True, help="unit id (see `keys list-units`)")
    p.add_argument("--username", required=True, help="lowercase letters, digits, '.', '_' or '-'")
    p.add_argument(
        "--role", default="investigator", choices=keyring.ROLES,
        help="a role without unit keys (call_handler, security) needs K custodian shares",
    )
    p.set_defaults(func=cmd_add_investigator)
    p = keys.add_parser(
        "approve-first",
        help="approve a unit's first key holder (K custodian shares and the fingerprint they read out)",
    )
    add_data_dir(p)
    add_operator(p)
    p.add_argument("--username", required=True)
    p.set_defaults(func=cmd_approve_first)
    p = keys.add_parser(
        "list-units",
        help="show the routing and list units: each key, who holds it, and keys only the custodian holds",
    )
    add_data_dir(p)
    p.add_argument("--unit", help="only this unit")
    add_operator(p, required=None)
    p.set_defaults(func=cmd_list_units)
    p = keys.add_parser(
        "set-routing",
        help="route new reports to the independent desk (creating it) or directly to forces",
    )
    add_data_dir(p)
    add_operator(p)
    p.add_argument("--routing", required=True, choices=ROUTINGS)
    p.set_defaults(func=cmd_set_routing)


async def _add_investigator(
    args: argparse.Namespace, username: str, shares: list[str] | None
) -> enrolment.Invitation:
    async with database(args) as db:
        if shares is not None:
            await unlock(db, shares)  # a keyless account: K share holders approve it now
        try:
            await unit_admin.existing_unit(db, args.unit)
        except unit_admin.UnitRefused as exc:
            raise _refused(exc) from None
        try:
            with guard().changing(f"an enrolment code for {username} made"):
                return await enrolment.invite(
                    db, username=username, unit_id=args.unit, role=args.role,
                    requested_by=_requested_by(args), day=today(),
                    show=functools.partial(_show_code, args),
                )
        except keyring.KeyringError as exc:
            raise _refused(exc) from None


def _requested_by(args: argparse.Namespace) -> str:
    """Who asked, as key holders are told it: the operator's name (run.py asks for it once)."""
    return str(getattr(args, "operator", None) or "security staff (command line)")


def _show_code(args: argparse.Namespace, invited: enrolment.Invitation) -> None:
    """Print the code and flush: a closed pipe raises here, before anything is stored."""
    print(f"Enrolment code for {invited.username} ({args.role}, {args.unit}), shown only now:")
    print(f"    {invited.code}")
    sys.stdout.flush()


def cmd_add_investigator(args: argparse.Namespace) -> int:
    """Ask for a new account: prints a one-time enrolment code for the newcomer, nothing else.

    Security: no password, key or authenticator secret passes through security staff. The
    newcomer redeems the code on the staff site, where their own key pair is made; an
    approver then types the key fingerprint the newcomer reads out (a current member of the
    unit, or, for a unit's first key holder, security staff with `keys approve-first`).
    A role that holds no unit key (call handler, security) is a member as soon as the code is
    redeemed, with no approver, so (insider finding D1) its code needs K custodian shares.
    """
    username = valid_username(args.username)
    keyless = args.role not in keyring.ROLES_WITH_UNIT_KEYS
    shares = ask_custodian_shares() if keyless else None
    end_of_input()
    invited = asyncio.run(_add_investigator(args, username, shares))
    print(f"Hand it to {username} in person. It works once, until {invited.expires_day}, on the staff")
    print("site's 'Enrol with a code' page, where they choose their password and authenticator and")
    print("their key is made.", end=" ")
    if keyless:
        print(f"A {args.role} holds no unit key: the account works as soon as the code is")
        print("redeemed (the K shares given here approved it).")
        return 0
    print("They then read its fingerprint to the person who approves them:")
    print("a current key holder of the unit, or, for its first key holder, security staff with")
    print("`keys approve-first`.")
    return 0


async def _approve_first(args: argparse.Namespace, shares: list[str], fingerprint: str) -> int:
    async with database(args) as db:
        custodian = await unlock(db, shares)
        try:
            with guard().changing(f"{args.username} approved as the first key holder"):
                return await enrolment.approve_first(
                    db, custodian, args.username, fingerprint, today(),
                    approved_by=_requested_by(args),
                )
        except enrolment.EnrolmentRefused as exc:
            raise CliError(f"{_FIRST_REFUSALS.get(exc.reason, exc.reason)}; nothing was changed") from None


_FIRST_REFUSALS = {
    "not_found": "no request of that name is waiting (or it is older than 14 days)",
    "not_redeemed": "the newcomer has not redeemed their enrolment code yet",
    "tampered": "this request was not made by this server (its MAC or audit entry does not match): "
    "do not approve it; check the database and `audit verify`",
    "wrong_fingerprint": "that is not the fingerprint of the newcomer's key: ask them to read it again",
    "has_members": "the unit has a key holder now: a current member approves this request instead",
}


def cmd_approve_first(args: argparse.Namespace) -> int:
    """Give a unit's first key holder its keys: K custodian shares, then the fingerprint they read out.

    Security: the key is the newcomer's own (made at their redemption); the fingerprint is
    typed here, never shown, so it must come from the newcomer.
    """
    shares = ask_custodian_shares()
    fingerprint = ask_line(f"Key fingerprint {args.username} reads out to you")
    end_of_input()
    staff_id = asyncio.run(_approve_first(args, shares, fingerprint))
    print(f"Approved {args.username} (id {staff_id}) as the first key holder of their unit.")
    return 0


async def _list_units(args: argparse.Namespace) -> tuple[str, list[unit_admin.UnitKeys]]:
    async with database(args) as db:
        await check_unit_filter(db, args.unit)
        problems = unit_check.unit_problems(db.audit_seed, await unit_admin_store.unit_facts(db))
        return await deployment_store.routing(db), await unit_admin.units_with_keys(db, args.unit, problems)


def cmd_list_units(args: argparse.Namespace) -> int:
    """The routing, then per unit: the current key, who holds each key, and keys no member holds."""
    routing, listed = asyncio.run(_list_units(args))
    print(f"Routing: {routing}" + (" (reports go to the independent desk)" if routing == DESK else ""))
    for unit in listed:
        retired = f"  (retired {unit.retired_day})" if unit.retired_day else ""
        print(f"{unit.unit_id:45} {unit.name}{retired}")
        if unit.problem in unit_check.RESTORE_ONLY:
            print(f"{'':4}OFFERED ON NO FORM: {unit.problem}. The database was altered (`status`): "
                  "restore the row from a backup (rename-unit refuses a row whose certificate fails)")
        elif unit.problem is not None:
            print(f"{'':4}OFFERED ON NO FORM: {unit.problem}. Rename it (`keys rename-unit`, K shares)")
        current = unit.current
        for key in unit.keys:
            state = (
                "current"
                if current is not None and key.key_id == current.key_id
                else f"retired {key.retired_day}"
                if key.retired_day
                else "older, still in use"
            )
            holders = ", ".join(key.members) or "no member"
            custodian = " + custodian" if key.custodian else ""
            print(f"{'':4}key #{key.key_id} ({state}, made {key.created_day}): {holders}{custodian}")
        if unit.custodian_only:
            print(f"{'':4}only the custodian holds key(s) {', '.join(map(str, unit.custodian_only))}")
        if unit.unheld:
            print(
                f"{'':4}NOBODY holds key(s) {', '.join(map(str, unit.unheld))}: "
                "what is sealed to them is lost"
            )
    return 0


async def _set_routing(args: argparse.Namespace, shares: list[str]) -> bool:
    """Security: the custodian key (K shares) is needed, as for every change of who can read
    what (see custody/desk.py); shares that do not open it change nothing."""
    async with database(args) as db:
        custodian_private = await unlock(db, shares)
        try:
            with guard().changing(f"routing set to {args.routing}"):
                return await switch_routing(db, args.routing, today(), custodian_private)
        except (RoutingError, keyring.KeyringError) as exc:
            raise _refused(exc) from None  # KeyringError: the custodian key failed its check


def cmd_set_routing(args: argparse.Namespace) -> int:
    """Switch routing; reports already delivered stay where they are."""
    shares = ask_custodian_shares()
    end_of_input()
    created = asyncio.run(_set_routing(args, shares))
    if created:
        print(f"Created the desk unit ({DESK_ID}) with its first key, sealed to the custodian key.")
        print("Enrol its members with add-investigator --unit desk --role desk_analyst|desk_supervisor.")
    print(f"New reports are now routed: {args.routing}. Reports already delivered stay where they are.")
    return 0
