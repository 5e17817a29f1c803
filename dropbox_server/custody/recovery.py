"""A lost security staff passphrase: a new custodian key from the unit keys in a key backup."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from dropbox_server import audit, envelope
from dropbox_server.custody import keyring
from dropbox_server.custody.backup import BackupError, read_backup
from dropbox_server.store import Database
from dropbox_server.store import keys as key_store
from receipt_codes import KdfParams


@dataclass(frozen=True)
class Recovery:
    unit_keys: int
    dropped: tuple[int, ...]


def _backed_up_keys(backup: Path, passphrase: str) -> dict[int, bytes]:
    payload = read_backup(backup, passphrase)
    stored = payload.get("unit_keys")
    if not isinstance(stored, dict):
        raise BackupError(f"{backup} holds no unit keys")
    return {int(k): base64.b64decode(str(v)) for k, v in stored.items()}


async def recover_custodian(
    db: Database, backup: Path, backup_passphrase: str, new_passphrase: str, kdf: KdfParams, *, force: bool
) -> Recovery:
    """Replace the custodian key pair, re-sealing every unit key in the backup to the new one.

    Unit keys made after the backup (rotations, new units) cannot be recovered this way:
    without `force` that is refused; with it their custodian copies are dropped, and only
    the unit's members still hold them.
    Security: needs the backup file and its passphrase, which open every unit key anyway;
    the old custodian copies are deleted with the old key, and the change is audited.
    """
    backed = _backed_up_keys(backup, backup_passphrase)
    held = await key_store.custodian_held_keys(db)
    for key_id, private in backed.items():
        if key_id in held and held[key_id] != envelope.public_key_of(private):
            raise BackupError(f"this key backup does not belong with this database (unit key #{key_id})")
    dropped = tuple(sorted(set(held) - set(backed)))
    if dropped and not force:
        raise BackupError(
            f"unit keys {', '.join(map(str, dropped))} were made after this backup, so the new "
            "custodian could not hold them: only the units' members would. Use --force to go ahead"
        )
    pair = envelope.generate_keypair()
    wrapped = envelope.wrap_with_password(new_passphrase, pair.private, kdf, keyring.CUSTODIAN_PURPOSE)
    grants = {key_id: envelope.seal(pair.public, backed[key_id]) for key_id in held if key_id in backed}
    detail = f"custodian_replaced unit_keys={len(grants)} dropped={len(dropped)}"
    entry = audit.pending("restored", username="security staff (command line)", detail=detail)
    await key_store.replace_custodian(db, pair.public, wrapped, grants, entry)
    return Recovery(len(grants), dropped)
