"""Restore a backup set into a new data directory, with the keys it cannot hold itself.

The keys step is passed in (`RestoreKeys`): today `keys.backup.restore` with a key backup
file and its passphrase; when custody moves to SLIP-39 shares only that step changes.
It must write the data directory from the set's database copy and refuse a non-empty one.

Security: the set's files are checked against the sizes its database records before the
keys step writes anything; if copying fails afterwards, the directory this run created is
removed, so a restore leaves either a whole data directory or nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from dropbox_server.backups.sets import (
    DATABASE_NAME,
    FILES_NAME,
    BackupSetError,
    Manifest,
    check_file_ids,
    copy_named_files,
)
from dropbox_server.config import Settings
from dropbox_server.custody.backup import remove_partial
from dropbox_server.store.copies import file_sizes_in_copy

RestoreKeys = Callable[[Path], Awaitable[object]]


@dataclass(frozen=True)
class RestoredSet:
    manifest: Manifest
    files: int


def check_set(set_dir: Path) -> tuple[Manifest, dict[str, int]]:
    """The set's manifest and its files' sizes, once every file its database names is there whole."""
    manifest = Manifest.read(set_dir)
    database = set_dir / DATABASE_NAME
    if not database.is_file():
        raise BackupSetError(f"{set_dir} has no database copy")
    sizes = file_sizes_in_copy(database)
    check_file_ids(sizes)
    for file_id, size in sizes.items():
        path = set_dir / FILES_NAME / file_id
        if not path.is_file() or path.stat().st_size != size:
            raise BackupSetError(f"{set_dir} is incomplete: attachment {file_id} is missing or damaged")
    return manifest, sizes


async def restore_set(set_dir: Path, settings: Settings, restore_keys: RestoreKeys) -> RestoredSet:
    """Check the set, let `restore_keys` rebuild the directory from its database, add the files."""
    manifest, sizes = check_set(set_dir)
    created = not settings.data_dir.exists()
    await restore_keys(set_dir / DATABASE_NAME)
    try:
        copy_named_files(sizes, set_dir / FILES_NAME, settings.files_dir)
    except BaseException:
        if created:
            remove_partial(settings.data_dir)
        raise
    return RestoredSet(manifest, len(sizes))
