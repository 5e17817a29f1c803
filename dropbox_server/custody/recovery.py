"""A lost security staff passphrase: a new custodian key from the unit keys in a key backup."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from dropbox_server import audit, envelope
from dropbox_server.custody import keyring
from dropbox_server.custody.backup import BackupError, read_backup
from dropbox_server.store import Database, unit_admin
from dropbox_server.store import keys as key_store
from receipt_codes import KdfParams


@dataclass(frozen=True)
class Recovery:
    unit_keys: int
    dropped: tuple[int, ...]


@dataclass(frozen=True)
class RecoveryPlan:
    """What a recovery would do, worked out before anything changes.

    `dropped`: unit keys made after the backup, which the new custodian cannot hold;
    `reports_lost`: reports with anything sealed to them (the custodian, new members, moved
    or re-keyed accounts could never open them again); `holders`: who still holds each.
    """

    backed: dict[int, bytes]
    held: dict[int, bytes]
    dropped: tuple[int, ...]
    reports_lost: tuple[str, ...]
    holders: dict[int, tuple[str, ...]]


def _backed_up_keys(backup: Path, passphrase: str) -> dict[int, bytes]:
    payload = read_backup(backup, passphrase)
    stored = payload.get("unit_keys")
    if not isinstance(stored, dict):
        raise BackupError(f"{backup} holds no unit keys")
    return {int(k): base64.b64decode(str(v)) for k, v in stored.items()}


async def plan_recovery(db: Database, backup: Path, backup_passphrase: str) -> RecoveryPlan:
    """Open the backup, check it belongs with this database, and list what would be lost."""
    backed = _backed_up_keys(backup, backup_passphrase)
    held = await key_store.custodian_held_keys(db)
    for key_id, private in backed.items():
        if key_id in held and held[key_id] != envelope.public_key_of(private):
            raise BackupError(f"this key backup does not belong with this database (unit key #{key_id})")
    dropped = tuple(sorted(set(held) - set(backed)))
    holders: dict[int, tuple[str, ...]] = {}
    for unit_id in {u for u in await unit_admin.units_of_keys(db, dropped)}:
        for k in await unit_admin.key_holders(db, unit_id):
            if k.key_id in dropped:
                holders[k.key_id] = k.members
    lost = tuple(await unit_admin.reports_sealed_to(db, dropped))
    return RecoveryPlan(backed, held, dropped, lost, holders)


async def apply_recovery(db: Database, plan: RecoveryPlan, new_passphrase: str, kdf: KdfParams) -> Recovery:
    """Replace the custodian key pair, re-sealing every unit key in the backup to the new one.

    Security: the old custodian copies are deleted with the old key, in one transaction with
    its audit entry (`custodian_recovered`, naming the keys dropped).
    """
    pair = envelope.generate_keypair()
    wrapped = envelope.wrap_with_password(new_passphrase, pair.private, kdf, keyring.CUSTODIAN_PURPOSE)
    grants = {k: envelope.seal(pair.public, plan.backed[k]) for k in plan.held if k in plan.backed}
    dropped = ",".join(map(str, plan.dropped)) or "none"
    detail = f"unit_keys={len(grants)} dropped={dropped} reports_unreadable={len(plan.reports_lost)}"
    entry = audit.pending("custodian_recovered", username="(command line)", detail=detail)
    await key_store.replace_custodian(db, pair.public, wrapped, grants, entry)
    return Recovery(len(grants), plan.dropped)


async def recover_custodian(
    db: Database, backup: Path, backup_passphrase: str, new_passphrase: str, kdf: KdfParams, *, force: bool
) -> Recovery:
    """Plan and apply in one go (unit keys made after the backup are refused unless `force`).

    Security: needs the backup file and its passphrase, which open every unit key anyway.
    """
    plan = await plan_recovery(db, backup, backup_passphrase)
    if plan.dropped and not force:
        raise BackupError(
            f"unit keys {', '.join(map(str, plan.dropped))} were made after this backup, so the new "
            "custodian could not hold them: only the units' members would. Use --force to go ahead"
        )
    return await apply_recovery(db, plan, new_passphrase, kdf)
