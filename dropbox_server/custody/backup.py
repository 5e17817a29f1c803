"""Key backups: one file with the pepper, receipt costs and onion keys, sealed to the custodian.

File layout: MAGIC, a version byte (2), the custodian public key (32 bytes), a content key
sealed to it (length-prefixed), the payload encrypted under the content key (bound to
everything before it), then a BLAKE2b checksum of everything before it. The checksum tells a
damaged or truncated file from wrong shares; the AEAD makes any change fail to open.

What it holds and why: a database copy already holds every unit key sealed to the custodian
public key (and to each member), so with K custodian shares a database copy reopens every
report; what it cannot bring back lives beside it: the pepper (without it no receipt works),
the receipt costs and the onion keys (without them the addresses change). No unit key and no
passphrase is in the file. Because it is sealed to the custodian's PUBLIC key, a scheduled
job can write it with nobody's shares; restoring it needs K shares, exactly as using the
database copy does, so the file adds no new way in. After `keys reshare` (a new custodian
key) make a new key backup: older ones open only with the older shares.

The audit chain's key seed (`audit.key`) is in it too, sealed like the rest: it lives
outside the database so a database copy cannot rebuild the chain, and without it no audit
checkpoint could be checked after a restore. Like the pepper, it is written with nobody's
shares and read back only with K of them. So is the revocation list (custody/revoked.py):
a restore without it would let the copy's removed or moved-out members hold their old unit again.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify, revoked
from dropbox_server.datadir import create_private_dir, mark_if_throwaway, write_new_secret_file
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import keys as key_store
from dropbox_server.store.database import backup_file
from onion_config import OnionFiles, OnionKeyError
from onion_config.backed_up import backed_up_path, is_backed_up_name

MAGIC = b"TIPDROP-KEY-BACKUP\n"
VERSION = 2
CONTEXT = b"tipdrop:v2:key-backup"
_PUBLIC = 32
_SUM = 32


class BackupError(Exception):
    """A backup cannot be written or restored; nothing was changed. The message says why."""


@dataclass(frozen=True)
class Restored:
    data_dir: Path
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


def write_backup(settings: Settings, custodian_public: bytes, out: Path) -> int:
    """Write the key backup to `out` (which must not exist); returns how many onion files it holds.

    Security: sealed to the custodian public key, so writing it needs no shares and the
    server can never open it again.
    """
    onion = _onion_files(settings.onion_dir)
    payload = {
        "pepper": base64.b64encode(settings.pepper_path.read_bytes()).decode("ascii"),
        "receipt_kdf": settings.receipt_kdf_path.read_text("ascii"),
        "onion": onion,
        "custodian": base64.b64encode(custodian_public).decode("ascii"),
        "day": today(),  # for `keys verify-backup` (older backups lack it)
    }
    if settings.audit_key_path.exists():
        # The audit chain's key: without it no checkpoint can be checked after a restore.
        payload["audit_key"] = base64.b64encode(settings.audit_key_path.read_bytes()).decode("ascii")
    listed = revoked.revoked_path(settings.data_dir)
    if listed.exists():
        # The revocation list (F2): a restore without it would let the copy's removed members back.
        payload["revoked"] = listed.read_text("utf-8")
    key = envelope.random_key()
    sealed = envelope.seal(custodian_public, key)
    header = MAGIC + bytes([VERSION]) + custodian_public + len(sealed).to_bytes(2, "big") + sealed
    body = header + envelope.encrypt(key, json.dumps(payload).encode("utf-8"), CONTEXT + header)
    try:
        write_new_secret_file(out, body + envelope.checksum(body))
    except FileExistsError:
        raise BackupError(f"{out} already exists; choose a new file name") from None
    return len(onion)


def backup_custodian(path: Path) -> bytes:
    """The custodian public key a backup file is sealed to (checked, not opened)."""
    return _split(path, _read_checked(path))[0]


def _read_checked(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 1 + _SUM:
        raise BackupError(f"{path} is not a tip drop key backup (or it is truncated)")
    body, digest = data[:-_SUM], data[-_SUM:]
    if not envelope.secret_equal(envelope.checksum(body), digest):
        raise BackupError(f"{path} is damaged or truncated: its checksum does not match")
    version = body[len(MAGIC)]
    if version == 1:
        raise BackupError(
            f"{path} was made under the old security staff passphrase; this version restores only "
            "backups sealed to the custodian shares (make a new one with `keys backup`)"
        )
    if version != VERSION:
        raise BackupError(f"{path} is a backup of version {version}, which this version cannot read")
    return body


def _split(path: Path, body: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """(custodian public key, sealed content key, header, ciphertext) of a checked body."""
    at = len(MAGIC) + 1
    public = body[at : at + _PUBLIC]
    size = int.from_bytes(body[at + _PUBLIC : at + _PUBLIC + 2], "big")
    start = at + _PUBLIC + 2
    if len(public) != _PUBLIC or len(body) < start + size:
        raise BackupError(f"{path} is damaged: its header is cut short")
    return public, body[start : start + size], body[: start + size], body[start + size :]


def read_backup(path: Path, custodian_private: bytes) -> dict[str, object]:
    """Check and open a backup file with the custodian key; raises BackupError with a plain reason."""
    public, sealed, header, ciphertext = _split(path, _read_checked(path))
    if not envelope.secret_equal(envelope.public_key_of(custodian_private), public):
        raise BackupError("these custodian shares are not the ones this key backup is sealed to")
    try:
        key = envelope.unseal(custodian_private, sealed)
        raw = envelope.decrypt(key, ciphertext, CONTEXT + header)
    except envelope.EnvelopeError as exc:
        raise BackupError(f"{path} is damaged: {exc}") from None
    payload: dict[str, object] = json.loads(raw)
    return payload


@dataclass(frozen=True)
class BackupSummary:
    """What a key backup holds, as `keys verify-backup` tells it (no secret in it)."""

    day: str | None
    pepper: bool
    receipt_kdf: bool
    onion_keys: tuple[str, ...]
    onion_clients: int
    custodian_fingerprint: str
    audit_key: bool = False  # the audit chain's outside key (backups made before it lack it)


def describe_backup(path: Path, custodian_private: bytes) -> BackupSummary:
    """Open a backup with the custodian key and check each part is well formed; restores and
    writes nothing, so a backup that opens but holds garbage is caught before the day it is needed."""
    payload = read_backup(path, custodian_private)
    onion = payload.get("onion")
    if not isinstance(onion, dict):
        raise BackupError(f"{path} opens but its contents are malformed")
    try:
        base64.b64decode(str(payload.get("pepper", "")), validate=True)
    except ValueError:
        raise BackupError(f"{path} opens but its pepper is malformed") from None
    try:
        audit_key = base64.b64decode(str(payload.get("audit_key", "")), validate=True)
    except ValueError:
        raise BackupError(f"{path} opens but its audit key is malformed") from None
    names = {str(n) for n in onion}
    day = payload.get("day")
    return BackupSummary(
        day=str(day) if isinstance(day, str) else None,
        pepper=bool(payload.get("pepper")),
        receipt_kdf=bool(payload.get("receipt_kdf")),
        onion_keys=tuple(k for k in ("reporter", "investigator") if f"{k}.key" in names),
        onion_clients=sum(1 for n in names if n.startswith("investigator_clients/")),
        custodian_fingerprint=envelope.fingerprint(envelope.public_key_of(custodian_private)),
        audit_key=bool(audit_key),
    )


def _check_matches(database: Path, custodian_public: bytes) -> None:
    """The database copy is sound and seals its unit keys to the custodian this backup is sealed to."""
    problem = key_store.database_file_problem(database)
    if problem is not None:
        raise BackupError(f"{database} is not a sound tip drop database: {problem}")
    try:
        in_copy = enrolment_store.custodian_public_in_file(database)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{database} is not a readable tip drop database: {exc}") from None
    if in_copy is None or not envelope.secret_equal(in_copy, custodian_public):
        raise BackupError("the database copy does not belong with this key backup (another custodian key)")


def staging_dir(target: Path) -> Path:
    """Where a restore is built before it is moved into place: beside the target, same disk."""
    return target.parent / f".{target.name}.restoring"


async def restore(
    backup: Path,
    custodian_private: bytes,
    database: Path,
    settings: Settings,
    before_publish: Callable[[Settings], Awaitable[None]] | None = None,
) -> Restored:
    """Rebuild a data directory from a key backup and a database copy.

    Everything is checked before anything is written; a non-empty target is refused. The
    directory is built beside the target and moved into place in one rename only when all of
    it, including what `before_publish` writes (the audit entry), is there.
    Security: needs the custodian key (K shares) to open the backup. An interruption leaves
    either no target or a complete one, never a complete-looking directory without its audit
    entry; the half-built staging directory is this function's own and is cleared by the next run.
    """
    target = settings.data_dir
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; restore only into a new or empty directory")
    payload = read_backup(backup, custodian_private)
    if not database.is_file():
        raise BackupError(f"no database copy at {database}")
    custodian_public = envelope.public_key_of(custodian_private)
    _check_matches(database, custodian_public)
    staging = settings.with_changes(data_dir=staging_dir(target))
    onion = _onion_targets(staging, payload)
    remove_partial(staging.data_dir)  # left by an interrupted run
    try:
        _write_restored(staging, payload, onion, database, custodian_public)
        if before_publish is not None:
            await before_publish(staging)
        if target.exists():
            target.rmdir()  # empty (checked above); rename cannot replace a directory otherwise
        staging.data_dir.rename(target)
    except BaseException:
        remove_partial(staging.data_dir)
        raise
    return Restored(target, len(onion))


def _write_restored(
    settings: Settings, payload: dict[str, object], onion: dict[Path, bytes], database: Path,
    custodian_public: bytes,
) -> None:
    create_private_dir(settings.data_dir)
    create_private_dir(settings.files_dir)
    # Restored as a test directory (TIPDROP_KDF set for a new target, cli/settings_args.py):
    # marked in the staging directory, so it is in place with everything else or not at all.
    mark_if_throwaway(settings)
    write_new_secret_file(settings.pepper_path, base64.b64decode(str(payload["pepper"])))
    write_new_secret_file(settings.receipt_kdf_path, str(payload["receipt_kdf"]).encode("ascii"))
    if "audit_key" in payload:
        audit_key = base64.b64decode(str(payload["audit_key"]), validate=True)
        write_new_secret_file(settings.audit_key_path, audit_key)
    if "revoked" in payload:
        listed = str(payload["revoked"]).encode("utf-8")
        write_new_secret_file(revoked.revoked_path(settings.data_dir), listed)
    for path, content in onion.items():
        create_private_dir(path.parent)
        write_new_secret_file(path, content)
    backup_file(database, settings.database_path)
    os.chmod(settings.database_path, 0o600)
    # Always pin the custodian key the key backup was opened with (K shares): that, not the
    # copy, is the trusted source. With the pin in place the first start never certifies rows
    # as found (insider finding F1: a copy with its custodian certificate cleared and the
    # owed marker set would otherwise be a new trust point blessing a planted key). A copy
    # that truly predates certificates is certified only by the explicit, audited
    # `keys certify-restored` (custody/certify.py `certify_restored`).
    certify.write_pin_in(settings.data_dir, custodian_public)
    if enrolment_store.predates_certificates_in_file(settings.database_path):
        certify.mark_restored_before_certificates(settings.data_dir)
    # Likewise units (insider finding V2): a restored copy's units are never certified as found
    # at a start, whatever its owed marker or schema version says; a copy whose schema predates
    # unit certificates (0021) is certified only by `keys certify-restored` (K shares).
    certify.mark_units_certified_in(settings.data_dir)
    if enrolment_store.predates_unit_certificates_in_file(settings.database_path):
        certify.mark_restored_before_unit_certificates(settings.data_dir)


def remove_partial(target: Path) -> None:
    """Undo a restore that failed half way (only ever a directory this run created)."""
    shutil.rmtree(target, ignore_errors=True)
