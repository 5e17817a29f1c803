"""Backup sets: a consistent database snapshot, the attachment ciphertext it names, a manifest.

A set is a folder `tipdrop-YYYY-MM-DD[-N]` under the backup target. It is built in a hidden
`.incomplete-*` folder and renamed into place only when complete and fsynced, so a set
that exists is whole; then only the sets of the newest `keep` days stay (of each day its
first set and its newest).

What a set holds is what `keys backup` does not: the database (as the existing online
backup takes it, from one read snapshot) and every file that snapshot names. What it does
not hold is the pepper, the receipt costs and the onion keys: those are in the key backup,
whose day the manifest records so that security staff know which key backup pairs with it.

Security: everything in a set is already ciphertext or key material sealed to keys that
are not in the set; with the pepper kept out, a stolen set cannot even test receipt guesses.
Sets are created 0700/0600, and no time finer than a day is written anywhere in them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dropbox_server.config import Settings
from dropbox_server.datadir import create_private_dir
from dropbox_server.files.disk import fsync_dir
from dropbox_server.files.meta import is_file_id
from dropbox_server.store.copies import file_sizes_in_copy, last_day_of_action_in_copy
from dropbox_server.store.database import backup_file

FORMAT = 1
DATABASE_NAME = "tipdrop.sqlite3"
MANIFEST_NAME = "manifest.json"
FILES_NAME = "files"
STATE_NAME = "backup-state.json"
KEY_BACKUP_ACTION = "keys_backed_up"
_SET_NAME = re.compile(r"^tipdrop-(\d{4}-\d{2}-\d{2})(?:-(\d+))?$")
_COPY_CHUNK = 1024 * 1024


class BackupSetError(Exception):
    """A backup could not be made or read; the message says why in plain words."""


@dataclass(frozen=True)
class Manifest:
    """What a set holds: its day, the key backup's day (None: never made), file count and bytes."""

    day: str
    key_backup_day: str | None
    files: int
    file_bytes: int

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "day": self.day,
                "key_backup_day": self.key_backup_day,
                "files": self.files,
                "file_bytes": self.file_bytes,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def read(cls, set_dir: Path) -> Manifest:
        try:
            raw = json.loads((set_dir / MANIFEST_NAME).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise BackupSetError(f"{set_dir} is not a complete tip drop backup (no manifest)") from exc
        if raw.get("format") != FORMAT:
            found = raw.get("format")
            raise BackupSetError(f"{set_dir} is of backup format {found}; this version reads {FORMAT}")
        return cls(str(raw["day"]), raw["key_backup_day"], int(raw["files"]), int(raw["file_bytes"]))


@dataclass(frozen=True)
class MadeBackup:
    path: Path
    manifest: Manifest
    removed: tuple[Path, ...]


def set_sort_key(path: Path) -> tuple[str, int]:
    match = _SET_NAME.match(path.name)
    if not match:
        raise ValueError(path.name)
    return match.group(1), int(match.group(2) or 1)


def existing_sets(target: Path) -> list[Path]:
    """The complete sets under `target`, oldest first."""
    if not target.is_dir():
        return []
    found = [p for p in target.iterdir() if p.is_dir() and _SET_NAME.match(p.name)]
    return sorted(found, key=set_sort_key)


def sets_to_remove(sets: list[Path], keep: int) -> list[Path]:
    """What rotation removes from `sets` (oldest first): every set of a day older than the
    newest `keep` days, and of a kept day every set but its first and its newest.

    Security (insider finding D4): rotation counts days, not sets, so many sets made in one
    day (through the officers' door, say) never push earlier days' sets out; a day keeps its
    first set (made before that day's later changes) and its newest.
    """
    by_day: dict[str, list[Path]] = {}
    for path in sets:
        by_day.setdefault(set_sort_key(path)[0], []).append(path)
    days = sorted(by_day)
    removed = [path for day in days[: max(len(days) - keep, 0)] for path in by_day[day]]
    for day in days[-keep:]:
        removed += by_day[day][1:-1]
    return sorted(removed, key=set_sort_key)


def _new_set_name(target: Path, day: str) -> str:
    taken = {p.name for p in existing_sets(target)}
    name, n = f"tipdrop-{day}", 1
    while name in taken:
        n += 1
        name = f"tipdrop-{day}-{n}"
    return name


def _copy_private(source: Path, target: Path) -> int:
    """Copy one file into a new 0600 file, fsynced; returns the bytes copied."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    copied = 0
    try:
        with source.open("rb") as src:
            while chunk := src.read(_COPY_CHUNK):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
                copied += len(chunk)
        os.fsync(fd)
    finally:
        os.close(fd)
    return copied


def check_file_ids(sizes: dict[str, int]) -> None:
    """Refuse a database that names a file with anything but a file id.

    Security: the ids become paths; a tampered copy must not name `../` anything.
    """
    bad = [file_id for file_id in sizes if not is_file_id(file_id)]
    if bad:
        raise BackupSetError(f"the database names {len(bad)} attachments with invalid ids; it was altered")


def copy_named_files(sizes: dict[str, int], source_dir: Path, target_dir: Path) -> int:
    """Copy every named file, checking each against the size the database records."""
    check_file_ids(sizes)
    create_private_dir(target_dir)
    total = 0
    for file_id, size in sorted(sizes.items()):
        source = source_dir / file_id
        if not source.is_file():
            raise BackupSetError(f"attachment {file_id} named by the database is missing from {source_dir}")
        copied = _copy_private(source, target_dir / file_id)
        if copied != size:
            raise BackupSetError(f"attachment {file_id} is {copied} bytes where the database says {size}")
        total += copied
    fsync_dir(target_dir)
    return total


@contextlib.contextmanager
def _target_lock(target: Path) -> Iterator[None]:
    """One backup at a time per target: a second run started by hand waits for the timer's."""
    with (target / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(settings: Settings, work: Path, day: str) -> Manifest:
    database = work / DATABASE_NAME
    backup_file(settings.database_path, database)
    # The files named by the snapshot were durably in place before the snapshot's commit
    # (see files/disk.py), so each is there unless retention removed it since: then the
    # backup fails loudly and the next one, from a newer snapshot, succeeds.
    sizes = file_sizes_in_copy(database)
    file_bytes = copy_named_files(sizes, settings.files_dir, work / FILES_NAME)
    manifest = Manifest(day, last_day_of_action_in_copy(database, KEY_BACKUP_ACTION), len(sizes), file_bytes)
    fd = os.open(work / MANIFEST_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, manifest.to_json().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(database, 0o600)
    fsync_dir(work)
    return manifest


def make_backup(settings: Settings, target: Path, keep: int, day: str) -> MadeBackup:
    """Write a new complete set under `target`, then keep only the newest `keep` days' sets."""
    if keep < 1:
        raise BackupSetError("--keep must be at least 1")
    if not settings.database_path.is_file():
        raise BackupSetError(f"no database in {settings.data_dir}")
    if target.resolve().is_relative_to(settings.data_dir.resolve()):
        # Inside, each set would copy the ones before it, and one disk failure takes both.
        raise BackupSetError("the backup folder must be outside the data directory")
    create_private_dir(target)
    with _target_lock(target):
        work = target / f".incomplete-{secrets.token_hex(8)}"
        create_private_dir(work)
        try:
            manifest = _build(settings, work, day)
            final = target / _new_set_name(target, day)
            os.rename(work, final)
            fsync_dir(target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        removed = tuple(sets_to_remove(existing_sets(target), keep))
        for old in removed:
            shutil.rmtree(old)
        if removed:
            fsync_dir(target)
    return MadeBackup(final, manifest, removed)


def write_state(data_dir: Path, day: str, set_path: Path) -> None:
    """Record the last good backup for `status`: {"last_good_day", "path"}, 0600, replaced atomically.

    Security: the day only, never a time (nothing finer than a day is kept about activity).
    """
    state = data_dir / STATE_NAME
    partial = data_dir / f".{STATE_NAME}.{secrets.token_hex(4)}"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, json.dumps({"last_good_day": day, "path": str(set_path)}).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, state)
    fsync_dir(data_dir)
