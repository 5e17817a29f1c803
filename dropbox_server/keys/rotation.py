"""Rotating a unit's key: new reports are sealed to a fresh key pair; old ones stay readable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dropbox_server import audit, envelope, keyring
from dropbox_server.store import Database, units
from dropbox_server.store import keys as key_store

Progress = Callable[[int, int], None]


class RotationError(Exception):
    """The rotation cannot go ahead; the message says why."""


@dataclass(frozen=True)
class Rotation:
    unit_id: str
    new_key_id: int
    members: int
    resealed: int
    retired: tuple[int, ...]


async def rotate_unit_key(
    db: Database,
    unit_id: str,
    custodian_private: bytes,
    day: str,
    *,
    reseal_old: bool = False,
    progress: Progress | None = None,
) -> Rotation:
    """Add a fresh key pair to the unit's ring, sealed to every current member and the custodian.

    With `reseal_old`, every report key and passed-on record sealed to an older key is
    re-sealed to the new one and the older keys are retired: their sealed copies are deleted,
    so the old private keys no longer exist anywhere in the database.
    Security: a removed member's copies of the old keys were deleted before this runs, so
    nothing submitted after the rotation is sealed to a key they ever held.
    """
    if await units.get_unit(db, unit_id) is None:
        raise RotationError(f"unknown unit {unit_id!r}; `python run.py keys list-units` lists them")
    old_keys = await keyring.unit_private_keys_from_custodian(db, unit_id, custodian_private)
    members = await key_store.members_with_unit_keys(db, unit_id)
    pair = envelope.generate_keypair()
    grants: dict[int | None, bytes] = {m.id: envelope.seal(m.public_key, pair.private) for m in members}
    custodian = await units.get_custodian(db)
    if custodian is None:
        raise RotationError("no custodian key: run `python run.py init` first")
    grants[None] = envelope.seal(custodian[0], pair.private)
    new_key_id = await units.add_unit_key(db, unit_id, pair.public, day, grants)
    await audit.record(db, audit.pending("unit_key_rotated", detail=f"unit={unit_id} key={new_key_id}"))
    resealed = 0
    retired: tuple[int, ...] = ()
    if reseal_old and old_keys:
        resealed = await _reseal_to(db, old_keys, new_key_id, pair.public, progress)
        retired = tuple(sorted(old_keys))
        detail = f"unit={unit_id} keys={','.join(map(str, retired))}"
        await key_store.retire_unit_keys(db, retired, day, audit.pending("unit_key_retired", detail=detail))
    return Rotation(unit_id, new_key_id, len(members), resealed, retired)


async def _reseal_to(
    db: Database, old_keys: dict[int, bytes], new_key_id: int, new_public: bytes, progress: Progress | None
) -> int:
    """Re-seal everything sealed to `old_keys` to the new key, in batches; returns how many."""
    items = await key_store.sealed_under(db, list(old_keys))
    batch: list[tuple[key_store.SealedUnder, int, bytes]] = []
    for done, item in enumerate(items, start=1):
        secret = envelope.unseal(old_keys[item.unit_key_id], item.sealed)
        batch.append((item, new_key_id, envelope.seal(new_public, secret)))
        if len(batch) >= 500 or done == len(items):
            await key_store.reseal(db, batch)
            batch = []
            if progress:
                progress(done, len(items))
    return len(items)
