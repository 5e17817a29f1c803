"""`keys rotate-unit-key`, `keys remove-investigator`, `keys list-staff`: lifecycle of keys and staff."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from dropbox_server import envelope
from dropbox_server.cli.audit import log_command
from dropbox_server.cli.prompts import CliError, confirm
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.cli.shares import restore_custodian, unlock_with_shares
from dropbox_server.clock import today
from dropbox_server.custody import backup, enrolment
from dropbox_server.custody.enrolment import PendingEnrolment
from dropbox_server.custody.revocation import RemovalRefused, remove_staff
from dropbox_server.custody.rotation import RotationError, rotate_unit_key
from dropbox_server.store import Database, StaffRow, open_database
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import staff as staff_store
from dropbox_server.store.database import backup_file


def register(keys: Any) -> None:
    """Add the lifecycle subcommands to `keys`."""
    p = keys.add_parser("rotate-unit-key", help="give a unit a new key pair for new reports")
    add_data_dir(p)
    p.add_argument("--unit", required=True, help="unit id (see `keys list-units`)")
    p.add_argument(
        "--reseal-old", action="store_true", help="re-seal old reports to the new key and retire the old keys"
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_rotate_unit_key)
    p = keys.add_parser("remove-investigator", help="remove a member of staff and rotate their unit's key")
    add_data_dir(p)
    p.add_argument("--username", required=True)
    p.add_argument("--force", action="store_true", help="even if they are the unit's last key holder")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_remove_investigator)
    p = keys.add_parser("backup", help="write the pepper and onion keys to one file sealed to the custodian")
    add_data_dir(p)
    p.add_argument("--out", type=Path, required=True, help="new file to write (never overwritten)")
    p.set_defaults(func=cmd_backup)
    p = keys.add_parser("restore", help="rebuild a data directory from a key backup and a database copy")
    add_data_dir(p)
    p.add_argument("--in", dest="backup", type=Path, required=True, help="the key backup file")
    p.add_argument("--database", type=Path, required=True, help="a copy of the database (see backup-db)")
    p.set_defaults(func=cmd_restore)
    p = keys.add_parser("backup-db", help="copy the live database consistently (SQLite online backup)")
    add_data_dir(p)
    p.add_argument("--out", type=Path, required=True, help="new file to write (never overwritten)")
    p.set_defaults(func=cmd_backup_db)
    p = keys.add_parser("recover-custodian", help="replaced by `keys reshare` (custodian shares)")
    add_data_dir(p)
    p.add_argument("--in", dest="backup", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--force", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--yes", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_recover_custodian)
    p = keys.add_parser("list-staff", help="list staff with their unit, role and last sign-in day")
    add_data_dir(p)
    p.add_argument("--unit", help="only this unit")
    p.set_defaults(func=cmd_list_staff)


@asynccontextmanager
async def _database(args: argparse.Namespace) -> AsyncIterator[Database]:
    """The service's database (it may be in use by the running service meanwhile)."""
    settings = settings_from_args(args)
    if not settings.database_path.exists():
        raise CliError(f"no database in {settings.data_dir}; is --data-dir right?")
    db = await open_database(settings.database_path)
    try:
        yield db
    finally:
        await db.close()


@asynccontextmanager
async def _custodian(args: argparse.Namespace) -> AsyncIterator[tuple[Database, bytes]]:
    """The database and the custodian key, rebuilt from K custodian shares (asked first)."""
    async with _database(args) as db:
        yield db, await unlock_with_shares(db)


async def _rotate(args: argparse.Namespace) -> None:
    try:
        if args.reseal_old:
            async with _custodian(args) as (db, custodian):
                done = await rotate_unit_key(
                    db, args.unit, custodian, today(), reseal_old=True, progress=_bar("re-sealing")
                )
        else:
            async with _database(args) as db:
                done = await rotate_unit_key(db, args.unit, None, today())
    except RotationError as exc:
        raise CliError(str(exc)) from None
    print(
        f"{done.unit_id}: new key #{done.new_key_id}, sealed to {done.members} member(s) and the custodian."
    )
    if done.retired:
        print(f"Re-sealed {done.resealed} key(s); retired old key(s) {', '.join(map(str, done.retired))}.")
    print("Members signed in now must sign in again to read reports sealed to the new key.")


def cmd_rotate_unit_key(args: argparse.Namespace) -> int:
    """Security: only --reseal-old needs the passphrase; a plain rotation seals to public keys."""
    question = f"Rotate the key of {args.unit}{' and retire its old keys' if args.reseal_old else ''}?"
    if not confirm(question, assume_yes=args.yes):
        print("Nothing was changed.")
        return 1
    asyncio.run(_rotate(args))
    return 0


async def _remove(args: argparse.Namespace) -> None:
    async with _database(args) as db:
        try:
            done = await remove_staff(db, args.username, today(), force=args.force)
        except (RemovalRefused, RotationError) as exc:
            raise CliError(str(exc)) from None
    print(f"Removed {done.username} from {done.unit_id}: their key and copies of unit keys are deleted.")
    if done.new_key_id is not None:
        print(f"{done.unit_id} now seals new reports to key #{done.new_key_id}, which they never held.")
    print("Revoke their investigator onion client too: `keys remove-onion-client NAME`.")


def cmd_remove_investigator(args: argparse.Namespace) -> int:
    """Security: needs no passphrase, so cutting someone off is never delayed; it is audited."""
    if not confirm(f"Remove {args.username} and rotate their unit's key?", assume_yes=args.yes):
        print("Nothing was changed.")
        return 1
    asyncio.run(_remove(args))
    return 0


async def _staff(args: argparse.Namespace) -> tuple[list[StaffRow], list[PendingEnrolment]]:
    async with _database(args) as db:
        return await staff_store.list_staff(db, args.unit), await enrolment.all_waiting(db, args.unit)


def cmd_list_staff(args: argparse.Namespace) -> int:
    members, waiting = asyncio.run(_staff(args))
    for s in members:
        print(f"{s.username:30} {s.role:13} {s.unit_id:40} last sign-in {s.last_sign_in_day or 'never'}")
    for p in waiting:
        print(f"{p.username:30} {p.role:13} {p.unit_id:40} waiting for a member's approval since "
              f"{p.requested_day} (key {envelope.fingerprint(p.public_key)})")
    return 0


def _bar(label: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        print(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr)
        if done >= total:
            print(file=sys.stderr)

    return show


async def _custodian_public(args: argparse.Namespace) -> bytes:
    async with _database(args) as db:
        public = await enrolment_store.custodian_public_key(db)
    if public is None:
        raise CliError("no custodian key: run `python run.py init` first")
    return public


def cmd_backup(args: argparse.Namespace) -> int:
    """Security: sealed to the custodian public key: written without shares, opened only with K."""
    settings = settings_from_args(args)
    public = asyncio.run(_custodian_public(args))
    try:
        count = backup.write_backup(settings, public, args.out)
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"Wrote {args.out} (mode 0600): pepper, receipt costs and {count} onion files,")
    print(f"sealed to the custodian key {envelope.fingerprint(public)}; restoring it needs the shares.")
    print("Keep it with a database copy (`keys backup-db`).")
    log_command(args, "keys_backed_up", f"onion_files={count}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    try:
        private = restore_custodian(args.backup)
        done = asyncio.run(backup.restore(args.backup, private, args.database, settings))
    except backup.BackupError as exc:
        raise CliError(f"{exc}; nothing was changed") from None
    print(f"Restored {done.data_dir}: {done.onion_files} onion files and the database.")
    log_command(args, "restored", f"onion_files={done.onion_files}")
    return 0


def cmd_backup_db(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    try:
        backup_file(settings.database_path, args.out, _bar("copying"))
    except FileExistsError:
        raise CliError(f"{args.out} already exists; choose a new file name") from None
    print(f"Wrote a consistent copy of the database to {args.out} (mode 0600).")
    log_command(args, "database_backed_up")
    return 0


def cmd_recover_custodian(args: argparse.Namespace) -> int:
    """The custodian is held as shares now: reissuing them is `keys reshare`."""
    raise CliError(
        "the custodian key is held as shares now: with enough of them, `keys reshare` issues a "
        "new set (and a new key); with fewer, nothing can recover it, by design"
    )
