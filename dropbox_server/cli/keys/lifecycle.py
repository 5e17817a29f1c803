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

from dropbox_server import audit
from dropbox_server.cli.audit import log_command
from dropbox_server.cli.interrupts import guard
from dropbox_server.cli.keys.officer import ask_passphrase, bar, database, unlock
from dropbox_server.cli.prompts import (
    CliError,
    add_operator,
    ask_secret,
    confirm,
    confirm_typed,
    end_of_input,
)
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import backup, recovery, unit_admin
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
    p = keys.add_parser("backup", help="write the pepper, onion keys and unit keys to one encrypted file")
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
    p = keys.add_parser(
        "recover-custodian", help="lost security staff passphrase: a new one, from a key backup"
    )
    _common(p)
    p.add_argument("--in", dest="backup", type=Path, required=True, help="the key backup file")
    p.add_argument(
        "--force",
        action="store_true",
        help="even if unit keys were made after the backup (lists the reports affected; asks to type it)",
    )
    p.set_defaults(func=cmd_recover_custodian)
    p = keys.add_parser("list-staff", help="list staff with their unit, role and last sign-in day")
    add_data_dir(p)
    p.add_argument("--unit", help="only this unit")
    add_operator(p, required=None)
    p.set_defaults(func=cmd_list_staff)


def _common(p: argparse.ArgumentParser) -> None:
    add_data_dir(p)
    add_operator(p)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _declined() -> int:
    print("Nothing was changed.")
    return 1


async def _rotate(args: argparse.Namespace, passphrase: str | None) -> None:
    async with database(args) as db:
        try:
            if passphrase is not None:
                custodian = await unlock(db, passphrase)
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
    """Security: only --reseal-old needs the passphrase; a plain rotation seals to public keys."""
    passphrase = ask_passphrase() if args.reseal_old else None
    end_of_input()
    question = f"Rotate the key of {args.unit}{' and retire its old keys' if args.reseal_old else ''}?"
    if not confirm(question, assume_yes=args.yes):
        return _declined()
    asyncio.run(_rotate(args, passphrase))
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
    """Security: needs no passphrase, so cutting someone off is never delayed; it is audited."""
    end_of_input()
    if not confirm(f"Remove {args.username} and rotate their unit's key?", assume_yes=args.yes):
        return _declined()
    asyncio.run(_remove(args))
    return 0


async def _staff(args: argparse.Namespace) -> list[StaffRow]:
    async with database(args) as db:
        if args.unit is not None:
            try:
                await unit_admin.existing_unit(db, args.unit)
            except unit_admin.UnitRefused as exc:
                raise CliError(str(exc)) from None
        return await staff_store.list_staff(db, args.unit)


def cmd_list_staff(args: argparse.Namespace) -> int:
    found = asyncio.run(_staff(args))
    for s in found:
        print(f"{s.username:30} {s.role:13} {s.unit_id:40} last sign-in {s.last_sign_in_day or 'never'}")
    if not found:
        print("No staff" + (f" in {args.unit}." if args.unit else "."))
    return 0


async def _backup(args: argparse.Namespace, passphrase: str, backup_passphrase: str) -> int:
    settings = settings_from_args(args)
    async with database(args) as db:
        custodian = await unlock(db, passphrase)
        try:
            with guard().changing(f"key backup {args.out} written"):
                return await backup.write_backup(
                    settings, db, custodian, backup_passphrase, args.out, settings.password_kdf
                )
        except backup.BackupError as exc:
            raise CliError(str(exc)) from None


def cmd_backup(args: argparse.Namespace) -> int:
    """Security: the file is useless without its passphrase; keep the two apart."""
    passphrase = ask_passphrase()
    backup_passphrase = ask_secret("New backup passphrase (at least 12 characters)", confirm=True)
    if len(backup_passphrase) < 12:
        raise CliError("the backup passphrase must be at least 12 characters; nothing was changed")
    end_of_input()
    count = asyncio.run(_backup(args, passphrase, backup_passphrase))
    files = OnionFiles.for_data_dir(settings_from_args(args).data_dir)
    onions = [
        name
        for name, path in (("reporter", files.reporter_key), ("investigator", files.investigator_key))
        if path.exists()
    ]
    with guard().changing("key backup audited"):
        log_command(args, "keys_backed_up", f"unit_keys={count} onion={'+'.join(onions) or 'none'}")
    print(
        f"Wrote {args.out} (mode 0600): pepper, receipt costs, {count} unit keys and "
        f"{' and '.join(onions) + ' onion key(s)' if onions else 'no onion keys'}."
    )
    if not files.reporter_key.exists():
        print(
            "There is no reporter onion key yet: it is made at the first `serve` with Tor. "
            "Make a new key backup after that first start, or the reporter address cannot be restored."
        )
    print("Keep it with a database copy (`keys backup-db`) and store the passphrase separately.")
    return 0


def cmd_verify_backup(args: argparse.Namespace) -> int:
    """Open a key backup and say what it holds; nothing is restored, written or logged."""
    passphrase = ask_secret("Backup passphrase")
    end_of_input()
    try:
        summary = backup.describe_backup(args.file, passphrase)
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"{args.file} opens with this passphrase and is intact.")
    print(f"Made on: {summary.day or 'not recorded (made by an older version)'}")
    print(
        f"Pepper: {'yes' if summary.pepper else 'MISSING'}; "
        f"receipt costs: {'yes' if summary.receipt_kdf else 'MISSING'}"
    )
    print(
        f"Onion keys: {', '.join(summary.onion_keys) or 'none (no reporter onion key yet?)'}; "
        f"investigator onion clients: {summary.onion_clients}"
    )
    print(f"Unit keys: {len(summary.unit_keys)}")
    for unit_id, key_ids in summary.units():
        print(f"  {unit_id or '(unit not recorded)':45} key(s) {', '.join(f'#{k}' for k in key_ids)}")
    return 0


async def _audit_restore(staging: Settings, detail: str) -> None:
    db = await open_database(staging.database_path)
    try:
        await audit.record(db, audit.pending("restored", username="(command line)", detail=detail))
    finally:
        await db.close()


def cmd_restore(args: argparse.Namespace) -> int:
    """Security: built beside the target and moved into place only with its audit entry written."""
    settings = settings_from_args(args)
    passphrase = ask_secret("Backup passphrase")
    end_of_input()

    async def audited(staging: Settings) -> None:
        await _audit_restore(staging, f"from_key_backup={args.backup.name}")

    try:
        with guard().changing(f"{settings.data_dir} restored"):
            done = asyncio.run(
                backup.restore(args.backup, passphrase, args.database, settings, before_publish=audited)
            )
    except backup.BackupError as exc:
        raise CliError(f"{exc}; nothing was changed") from None
    print(
        f"Restored {done.data_dir}: {done.unit_keys} unit keys, {done.onion_files} onion files, the database."
    )
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


async def _plan(args: argparse.Namespace, backup_passphrase: str) -> recovery.RecoveryPlan:
    async with database(args) as db:
        try:
            return await recovery.plan_recovery(db, args.backup, backup_passphrase)
        except backup.BackupError as exc:
            raise CliError(f"{exc}; nothing was changed") from None


async def _recover(
    args: argparse.Namespace, plan: recovery.RecoveryPlan, passphrase: str
) -> recovery.Recovery:
    async with database(args) as db:
        with guard().changing("the custodian key replaced"):
            return await recovery.apply_recovery(db, plan, passphrase, settings_from_args(args).password_kdf)


def _confirm_losses(plan: recovery.RecoveryPlan) -> None:
    """Name every key and report the recovery leaves behind; a typed confirmation goes ahead."""
    lost = plan.reports_lost
    print(
        f"Unit keys {', '.join(map(str, plan.dropped))} were made after this backup: the new custodian "
        "key cannot hold them."
    )
    for key_id in plan.dropped:
        holders = ", ".join(plan.holders.get(key_id, ())) or "NOBODY"
        print(f"  key #{key_id}: still held by {holders}")
    if lost:
        print(
            f"{len(lost)} report(s) sealed to them become unreadable to the custodian, to new or moved "
            "members and to re-keyed accounts; only the holders above can still read them:"
        )
        for report_id in lost:
            print(f"  {report_id}")
    else:
        print("No report is sealed to them yet.")
    phrase = f"lose {len(lost)} reports"
    if not confirm_typed("Go ahead anyway?", phrase):
        raise CliError("not confirmed; nothing was changed")


def cmd_recover_custodian(args: argparse.Namespace) -> int:
    """Security: the old passphrase stops working; every custodian copy is made anew.

    Answers, in order: the backup passphrase, the new passphrase and, only with --force when
    keys would be lost, the typed confirmation.
    """
    backup_passphrase = ask_secret("Backup passphrase")
    passphrase = ask_secret("New security staff passphrase (at least 12 characters)", confirm=True)
    if len(passphrase) < 12:
        raise CliError("the security staff passphrase must be at least 12 characters; nothing was changed")
    plan = asyncio.run(_plan(args, backup_passphrase))
    if plan.dropped:
        if not args.force:
            raise CliError(
                f"unit keys {', '.join(map(str, plan.dropped))} were made after this backup, so "
                f"{len(plan.reports_lost)} report(s) would become unreadable to the custodian; "
                "nothing was changed. Use a newer backup, or --force to see exactly what is lost"
            )
        _confirm_losses(plan)
    end_of_input()
    if not confirm("Replace the security staff passphrase and custodian key?", assume_yes=args.yes):
        return _declined()
    done = asyncio.run(_recover(args, plan, passphrase))
    print(f"New custodian key holds {done.unit_keys} unit keys; the old passphrase no longer opens anything.")
    if done.dropped:
        print(f"Unit keys {', '.join(map(str, done.dropped))} are now held by their units' members only.")
    print("Make a new key backup now (`keys backup`).")
    return 0
