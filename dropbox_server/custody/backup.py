"""Key backups: one file with the pepper, onion keys and unit private keys, under a passphrase.

File layout: MAGIC, a version byte, the passphrase-wrapped payload (argon2id + SecretBox,
via envelope.wrap_with_password, which records its own costs), then a BLAKE2b checksum of
everything before it. The checksum tells a damaged or truncated file from a wrong
passphrase; the SecretBox MAC makes any change to the payload fail to open.

The audit chain's key seed (`audit.key`) is in it too: it lives outside the database so a
database copy cannot rebuild the chain, and without it no checkpoint could be checked.

What it holds, and why unit keys rather than the custodian key: the database copy already
holds the custodian key (wrapped under the security staff passphrase) and every unit key
sealed to it, so a database copy plus that passphrase reopens every report. What a database
copy cannot bring back lives beside it: the pepper (without it no receipt works), the
receipt costs and the onion keys (without them the addresses change). The unit private
keys are added as a second, independent way in for the day the security staff passphrase
is lost (`keys recover-custodian`), and to check on restore that a database copy belongs
with the backup. They rather than the custodian key because a backup then covers only the
keys that existed when it was made: after a rotation with --reseal-old, a stolen backup
and its passphrase open nothing submitted later, where a copy of the custodian key would
open every key made afterwards too.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.config import Settings
from dropbox_server.custody import keyring
from dropbox_server.datadir import create_private_dir, write_new_secret_file
from dropbox_server.store import Database, units
from dropbox_server.store import keys as key_store
from dropbox_server.store.database import backup_file
from onion_config import OnionFiles, OnionKeyError
from onion_config.backed_up import backed_up_path, is_backed_up_name
from receipt_codes import KdfParams

MAGIC = b"TIPDROP-KEY-BACKUP\n"
VERSION = 1
PURPOSE = b"tipdrop:v1:key-backup"
_SUM = 32


class BackupError(Exception):
    """A backup cannot be written or restored; nothing was changed. The message says why."""


@dataclass(frozen=True)
class Restored:
    data_dir: Path
    unit_keys: int
    onion_files: int


def _onion_files(onion_dir: Path) -> dict[str, str]:
    """The service keys and authorised clients; not tor's working folder, nor stray files."""
    found = {}
    if onion_dir.exists():
        for path in sorted(onion_dir.rglob("*")):
            rel = path.relative_to(onion_dir).as_posix()
            if path.is_file() and is_backed_up_name(rel):
                found[rel] = base64.b64encode(path.read_bytes()).decode("ascii")
    return found


def _onion_targets(settings: Settings, payload: dict[str, object]) -> dict[Path, bytes]:
    """Where each onion file of a backup goes, checked before anything is written.

    Security: a crafted backup cannot name `../`, an absolute path or tor's own files.
    """
    onion = payload.get("onion")
    if not isinstance(onion, dict):
        raise BackupError("the backup's onion files are malformed")
    files = OnionFiles(settings.onion_dir)
    targets = {}
    for name, content in onion.items():
        try:
            targets[backed_up_path(files, str(name))] = base64.b64decode(str(content), validate=True)
        except OnionKeyError:
            raise BackupError(f"the backup names an onion file that is not allowed: {name!r}") from None
        except ValueError:
            raise BackupError(f"the backup's onion file {name!r} is malformed") from None
    return targets


async def _unit_keys(db: Database, custodian_private: bytes) -> dict[str, str]:
    """Every unit private key, by key id, opened with the custodian key."""
    out = {}
    for unit in await units.list_units(db):
        for key_id, private in (
            await keyring.unit_private_keys_from_custodian(db, unit.id, custodian_private)
        ).items():
            out[str(key_id)] = base64.b64encode(private).decode("ascii")
    return out


async def write_backup(
    settings: Settings, db: Database, custodian_private: bytes, passphrase: str, out: Path, kdf: KdfParams
) -> int:
    """Write the key backup to `out` (which must not exist); returns how many unit keys it holds."""
    payload = {
        "pepper": base64.b64encode(settings.pepper_path.read_bytes()).decode("ascii"),
        "receipt_kdf": settings.receipt_kdf_path.read_text("ascii"),
        "onion": _onion_files(settings.onion_dir),
        "unit_keys": await _unit_keys(db, custodian_private),
    }
    if settings.audit_key_path.exists():
        # The audit chain's key: without it no checkpoint can be checked after a restore.
        payload["audit_key"] = base64.b64encode(settings.audit_key_path.read_bytes()).decode("ascii")
    body = (
        MAGIC
        + bytes([VERSION])
        + envelope.wrap_with_password(passphrase, json.dumps(payload).encode("utf-8"), kdf, PURPOSE)
    )
    try:
        write_new_secret_file(out, body + envelope.checksum(body))
    except FileExistsError:
        raise BackupError(f"{out} already exists; choose a new file name") from None
    return len(payload["unit_keys"])


def read_backup(path: Path, passphrase: str) -> dict[str, object]:
    """Check and open a backup file; raises BackupError with a plain reason."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 1 + _SUM:
        raise BackupError(f"{path} is not a tip drop key backup (or it is truncated)")
    body, digest = data[:-_SUM], data[-_SUM:]
    if not envelope.secret_equal(envelope.checksum(body), digest):
        raise BackupError(f"{path} is damaged or truncated: its checksum does not match")
    if body[len(MAGIC)] != VERSION:
        raise BackupError(f"{path} is a backup of version {body[len(MAGIC)]}, which this version cannot read")
    try:
        raw = envelope.unwrap_with_password(passphrase, body[len(MAGIC) + 1 :], PURPOSE)
    except envelope.WrongPassword:
        raise BackupError("wrong backup passphrase") from None
    except envelope.EnvelopeError as exc:
        raise BackupError(f"{path} is damaged: {exc}") from None
    payload: dict[str, object] = json.loads(raw)
    return payload


def _check_matches(database: Path, unit_keys: dict[str, str]) -> None:
    """The database copy is sound, and every unit key in the backup is the private half of one of its keys."""
    problem = key_store.database_file_problem(database)
    if problem is not None:
        raise BackupError(f"{database} is not a sound tip drop database: {problem}")
    try:
        public = {str(k): v for k, v in units.unit_public_keys_in_file(database).items()}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{database} is not a readable tip drop database: {exc}") from None
    for key_id, private in unit_keys.items():
        if public.get(key_id) != envelope.public_key_of(base64.b64decode(private)):
            raise BackupError(f"the database copy does not belong with this key backup (unit key #{key_id})")


async def restore(backup: Path, passphrase: str, database: Path, settings: Settings) -> Restored:
    """Rebuild a data directory from a key backup and a database copy.

    Everything is checked before anything is written; a non-empty target is refused.
    """
    target = settings.data_dir
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; restore only into a new or empty directory")
    payload = read_backup(backup, passphrase)
    if not database.is_file():
        raise BackupError(f"no database copy at {database}")
    unit_keys = dict(payload["unit_keys"])  # type: ignore[call-overload]
    _check_matches(database, unit_keys)
    onion = _onion_targets(settings, payload)
    created = not target.exists()
    try:
        _write_restored(settings, payload, onion, database)
    except BaseException:
        if created:
            remove_partial(target)
        raise
    return Restored(target, len(unit_keys), len(onion))


def _write_restored(
    settings: Settings, payload: dict[str, object], onion: dict[Path, bytes], database: Path
) -> None:
    create_private_dir(settings.data_dir)
    create_private_dir(settings.files_dir)
    write_new_secret_file(settings.pepper_path, base64.b64decode(str(payload["pepper"])))
    write_new_secret_file(settings.receipt_kdf_path, str(payload["receipt_kdf"]).encode("ascii"))
    if "audit_key" in payload:
        write_new_secret_file(settings.audit_key_path, base64.b64decode(str(payload["audit_key"])))
    for path, content in onion.items():
        create_private_dir(path.parent)
        write_new_secret_file(path, content)
    backup_file(database, settings.database_path)
    os.chmod(settings.database_path, 0o600)


def remove_partial(target: Path) -> None:
    """Undo a restore that failed half way (only ever a directory this run created)."""
    shutil.rmtree(target, ignore_errors=True)
