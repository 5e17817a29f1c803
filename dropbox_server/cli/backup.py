"""`backup` (scheduled: database snapshot + attachment ciphertext, rotated) and `restore` of a set."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from dropbox_server.backups import sets
from dropbox_server.backups.restore import restore_set
from dropbox_server.cli import audit
from dropbox_server.cli.prompts import CliError, add_operator
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.cli.shares import restore_custodian
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import backup as key_backup

DEFAULT_KEEP = 14


def register(sub: Any) -> None:
    """Add `backup` and `restore`."""
    p = sub.add_parser("backup", help="write a backup set (database snapshot and files) and rotate old sets")
    add_data_dir(p)
    p.add_argument("--to", type=Path, required=True, help="folder that holds the backup sets")
    p.add_argument(
        "--keep", type=int, default=DEFAULT_KEEP,
        help=f"how many days of sets to keep (default {DEFAULT_KEEP})",
    )
    add_operator(p, required=False)  # the scheduled copy has no operator; its entry lacks one
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="rebuild a data directory from a backup set and a key backup")
    add_data_dir(p)
    p.add_argument("--from", dest="set_dir", type=Path, required=True, help="one backup set folder")
    p.add_argument("--key-backup", type=Path, required=True, help="the key backup file (`keys backup`)")
    add_operator(p)
    p.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    """Exit 0 only when a complete set was written; then `backup-state.json` records its day."""
    settings = settings_from_args(args)
    day = today()
    try:
        made = sets.make_backup(settings, args.to.resolve(), args.keep, day)
    except (sets.BackupSetError, OSError) as exc:
        raise CliError(f"backup failed, the last good backup is unchanged: {exc}") from None
    sets.write_state(settings.data_dir, day, made.path)
    m = made.manifest
    print(f"Wrote {made.path}: the database and {m.files} files ({m.file_bytes} bytes of ciphertext).")
    if m.key_backup_day is None:
        print(
            "WARNING: no key backup has ever been made; a backup set cannot be restored without one. "
            "Run `keys backup` and keep the file apart from these sets.",
            file=sys.stderr,
        )
    else:
        print(f"Pair it with the key backup made on {m.key_backup_day} (or a later one).")
    for old in made.removed:
        print(f"Removed the old set {old.name}")
    audit.log_command(args, "database_backed_up", f"set={made.path.name} files={m.files}")
    return 0


async def _restore(set_dir: Path, key_file: Path, custodian: bytes, settings: Settings) -> sets.Manifest:
    async def keys_step(database: Path) -> object:
        return await key_backup.restore(key_file, custodian, database, settings)

    return (await restore_set(set_dir, settings, keys_step)).manifest


def cmd_restore(args: argparse.Namespace) -> int:
    settings = settings_from_args(args, creates="test")
    try:
        custodian = restore_custodian(args.key_backup)
        manifest = asyncio.run(_restore(args.set_dir, args.key_backup, custodian, settings))
    except (key_backup.BackupError, sets.BackupSetError) as exc:
        raise CliError(f"{exc}; nothing was changed") from None
    print(f"Restored {settings.data_dir} from the set of {manifest.day}: database, {manifest.files} files.")
    audit.log_command(args, "restored", f"set_day={manifest.day} files={manifest.files}")
    return 0
