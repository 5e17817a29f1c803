"""`keys rotate-unit-key`, `remove-investigator`, `backup`, `verify-backup`, `restore`, `backup-db`,
`recover-custodian`, `list-staff`: lifecycle of keys and staff.

Every command reads all its answers first (cli.prompts), refuses extra input, and only then
changes anything, inside `guard().changing(...)` so an interrupt says exactly what was done.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from dropbox_server import audit, envelope
from dropbox_server.cli.audit import log_command
from dropbox_server.cli.interrupts import guard
from dropbox_server.cli.keys.officer import ask_custodian_shares, bar, check_unit_filter, database, unlock
from dropbox_server.cli.prompts import CliError, add_operator, add_yes, declined, end_of_input
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.cli.shares import restore_custodian
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import backup, certify, enrolment
from dropbox_server.custody.enrolment import PendingEnrolment
from dropbox_server.custody.revocation import RemovalRefused, remove_staff
from dropbox_server.custody.rotation import RotationError, rotate_unit_key
from dropbox_server.store import StaffRow, open_database
from dropbox_server.store import staff as staff_store
from dropbox_server.store.database import backup_file
from onion_config import OnionFiles


def register(keys: Any) -> None:
    """Add the lifecycle subcommands to `keys`."""
    p = keys.add_parser("rotate-unit-key", help="give a unit a new key pair for new reports")
    _common(p)
    p.add_argument("--unit", required=True, help="unit id (see `keys list-units`)")
    p.add_argument(
        "--reseal-old", action="store_true", help="re-seal old reports to the new key and retire the old keys"
    )
    p.set_defaults(func=cmd_rotate_unit_key)
    p = keys.add_parser("remove-investigator", help="remove a member of staff and rotate their unit's key")
    _common(p)
    p.add_argument("--username", required=True)
    p.add_argument("--force", action="store_true", help="even if they are the unit's last key holder")
    p.set_defaults(func=cmd_remove_investigator)
    p = keys.add_parser(
        "backup", help="write the pepper, audit key and onion keys to one file sealed to the custodian"
    )
    add_data_dir(p)
    add_operator(p)
    p.add_argument("--out", type=Path, required=True, help="new file to write (never overwritten)")
    p.set_defaults(func=cmd_backup)
    p = keys.add_parser(
        "verify-backup", help="prove a key backup opens and say what it holds (restores nothing)"
    )
    p.add_argument("file", type=Path, help="the key backup file")
    add_operator(p, required=None)
    p.set_defaults(func=cmd_verify_backup)
    p = keys.add_parser("restore", help="rebuild a data directory from a key backup and a database copy")
    add_data_dir(p)
    add_operator(p)
    p.add_argument("--in", dest="backup", type=Path, required=True, help="the key backup file")
    p.add_argument("--database", type=Path, required=True, help="a copy of the database (see backup-db)")
    p.set_defaults(func=cmd_restore)
    p = keys.add_parser("backup-db", help="copy the live database consistently (SQLite online backup)")
    add_data_dir(p)
    add_operator(p, required=False)
    p.add_argument("--out", type=Path, required=True, help="new file to write (never overwritten)")
    p.set_defaults(func=cmd_backup_db)
    p = keys.add_parser("recover-custodian", help="replaced by `keys reshare` (custodian shares)")
    add_data_dir(p)
    add_operator(p, required=None)  # changes nothing; taken like every `keys` command
    p.add_argument("--in", dest="backup", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--force", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--yes", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_recover_custodian)
    p = keys.add_parser("list-staff", help="list staff with their unit, role and last sign-in day")
    add_data_dir(p)
    p.add_argument("--unit", help="only this unit")
    add_operator(p, required=None)
    p.set_defaults(func=cmd_list_staff)


def _common(p: argparse.ArgumentParser) -> None:
    add_data_dir(p)
    add_operator(p)
    add_yes(p)


async def _rotate(args: argparse.Namespace, shares: list[str] | None) -> None:
    async with database(args) as db:
        try:
            if shares is not None:
                custodian = await unlock(db, shares)
                with guard().changing(f"{args.unit} rotated and its old keys re-sealed"):
                    done = await rotate_unit_key(
                        db, args.unit, custodian, today(), reseal_old=True, progress=bar("re-sealing")
                    )
            else:
                with guard().changing(f"{args.unit} given a new key"):
                    done = await rotate_unit_key(db, args.unit, None, today())
        except RotationError as exc:
            raise CliError(str(exc)) from None
    print(
        f"{done.unit_id}: new key #{done.new_key_id}, sealed to {done.members} member(s) and the custodian."
    )
    if done.retired:
        print(f"Re-sealed {done.resealed} key(s); retired old key(s) {', '.join(map(str, done.retired))}.")
    print("New reports are sealed to it; members can read them at once, signed in or not.")


def cmd_rotate_unit_key(args: argparse.Namespace) -> int:
    """Security: only --reseal-old needs the custodian shares; a plain rotation seals to public keys."""
    shares = ask_custodian_shares() if args.reseal_old else None
    end_of_input()
    question = f"Rotate the key of {args.unit}{' and retire its old keys' if args.reseal_old else ''}?"
    if declined(question, assume_yes=args.yes):
        return 1
    asyncio.run(_rotate(args, shares))
    return 0


async def _remove(args: argparse.Namespace) -> None:
    async with database(args) as db:
        try:
            with guard().changing(f"{args.username} removed"):
                done = await remove_staff(db, args.username, today(), force=args.force)
        except (RemovalRefused, RotationError) as exc:
            raise CliError(str(exc)) from None
    print(f"Removed {done.username} from {done.unit_id}: their key and copies of unit keys are deleted.")
    if done.new_key_id is not None:
        print(f"{done.unit_id} now seals new reports to key #{done.new_key_id}, which they never held.")
    print("Revoke their investigator onion client too: `keys remove-onion-client NAME`.")


def cmd_remove_investigator(args: argparse.Namespace) -> int:
    """Security: needs no custodian shares, so cutting someone off is never delayed; it is audited."""
    end_of_input()
    if declined(f"Remove {args.username} and rotate their unit's key?", assume_yes=args.yes):
        return 1
    asyncio.run(_remove(args))
    return 0


async def _staff(args: argparse.Namespace) -> tuple[list[StaffRow], list[PendingEnrolment]]:
    async with database(args) as db:
        await check_unit_filter(db, args.unit)
        return await staff_store.list_staff(db, args.unit), await enrolment.all_waiting(db, args.unit)


def cmd_list_staff(args: argparse.Namespace) -> int:
    members, waiting = asyncio.run(_staff(args))
    for s in members:
        print(f"{s.username:30} {s.role:13} {s.unit_id:40} last sign-in {s.last_sign_in_day or 'never'}")
    for p in waiting:
        state = (
            f"redeemed {p.redeemed_day}, waiting for approval" if p.public_key is not None
            else f"enrolment code not redeemed (expires {p.expires_day})"
        )
        print(f"{p.username:30} {p.role:13} {p.unit_id:40} asked {p.requested_day}: {state}")
    if not members and not waiting:
        print("No staff" + (f" in {args.unit}." if args.unit else "."))
    return 0


async def _custodian_public(args: argparse.Namespace) -> bytes:
    async with database(args) as db:
        try:
            return await certify.custodian_public(db)
        except certify.UncertifiedKey as exc:
            raise CliError(str(exc)) from None


def cmd_backup(args: argparse.Namespace) -> int:
    """Security: sealed to the custodian public key: written without shares, opened only with K."""
    settings = settings_from_args(args)
    end_of_input()
    public = asyncio.run(_custodian_public(args))
    try:
        with guard().changing("key backup written"):
            count = backup.write_backup(settings, public, args.out)
    except backup.BackupError as exc:
        raise CliError(f"{exc}; nothing was changed") from None
    files = OnionFiles.for_data_dir(settings.data_dir)
    onions = [
        name
        for name, path in (("reporter", files.reporter_key), ("investigator", files.investigator_key))
        if path.exists()
    ]
    with guard().changing("key backup audited"):
        log_command(args, "keys_backed_up", f"onion_files={count} onion={'+'.join(onions) or 'none'}")
    audit_key = "the audit key, " if settings.audit_key_path.exists() else ""
    # Not the path: through the officers' door it is the door's private workspace (the caller
    # gets the file on standard output); outside it, the caller named it themselves.
    print(f"Wrote the key backup (mode 0600): pepper, receipt costs, {audit_key}{count} onion files,")
    print(f"sealed to the custodian key {envelope.fingerprint(public)}; restoring it needs the shares.")
    if not files.reporter_key.exists():
        print(
            "There is no reporter onion key yet: it is made at the first `serve` with Tor. "
            "Make a new key backup after that first start, or the reporter address cannot be restored."
        )
    print("Keep it with a database copy (a backup set from `backup`, or `keys backup-db`).")
    return 0


def cmd_verify_backup(args: argparse.Namespace) -> int:
    """Open a key backup with K custodian shares and say what it holds; nothing is restored,
    written or logged."""
    try:
        private = restore_custodian(args.file)
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    end_of_input()
    try:
        summary = backup.describe_backup(args.file, private)
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"{args.file} opens with these custodian shares and is intact.")
    print(f"Made on: {summary.day or 'not recorded (made by an older version)'}")
    print(
        f"Pepper: {'yes' if summary.pepper else 'MISSING'}; "
        f"receipt costs: {'yes' if summary.receipt_kdf else 'MISSING'}; "
        f"audit key: {'yes' if summary.audit_key else 'no (made before the audit chain was keyed)'}"
    )
    print(
        f"Onion keys: {', '.join(summary.onion_keys) or 'none (no reporter onion key yet?)'}; "
        f"investigator onion clients: {summary.onion_clients}"
    )
    print(f"Sealed to the custodian key {summary.custodian_fingerprint}; unit keys are in the database copy.")
    return 0


async def _audit_restore(staging: Settings, detail: str) -> None:
    db = await open_database(staging.database_path)
    try:
        await audit.record(db, audit.pending("restored", username="(command line)", detail=detail))
    finally:
        await db.close()


def cmd_restore(args: argparse.Namespace) -> int:
    """Security: built beside the target and moved into place only with its audit entry written."""
    settings = settings_from_args(args, creates="test")
    try:
        private = restore_custodian(args.backup)
    except backup.BackupError as exc:
        raise CliError(f"{exc}; nothing was changed") from None
    end_of_input()

    async def audited(staging: Settings) -> None:
        await _audit_restore(staging, f"from_key_backup={args.backup.name}")

    try:
        with guard().changing(f"{settings.data_dir} restored"):
            done = asyncio.run(
                backup.restore(args.backup, private, args.database, settings, before_publish=audited)
            )
    except backup.BackupError as exc:
        raise CliError(f"{exc}; nothing was changed") from None
    print(f"Restored {done.data_dir}: {done.onion_files} onion files and the database.")
    print(
        "Now copy the encrypted attachments (the old data directory's files/) into "
        f"{done.data_dir / 'files'}: "
        "the key backup and database copy do not hold them."
    )
    return 0


def cmd_backup_db(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    end_of_input()
    try:
        with guard().changing(f"database copy {args.out} written"):
            backup_file(settings.database_path, args.out, bar("copying"))
            log_command(args, "database_backed_up")
    except FileExistsError:
        raise CliError(f"{args.out} already exists; choose a new file name") from None
    print(f"Wrote a consistent copy of the database to {args.out} (mode 0600).")
    return 0


def cmd_recover_custodian(args: argparse.Namespace) -> int:
    """The custodian is held as shares now: reissuing them is `keys reshare`."""
    raise CliError(
        "the custodian key is held as shares now: with enough of them, `keys reshare` issues a "
        "new set (and a new key); with fewer, nothing can recover it, by design"
    )
