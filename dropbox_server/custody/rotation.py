"""Rotating a unit's key: new reports are sealed to a fresh key pair; old ones stay readable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dropbox_server import audit, envelope
from dropbox_server.custody import certify, keyring
from dropbox_server.store import Database, unit_admin, units
from dropbox_server.store import keys as key_store
from dropbox_server.store.audit import PendingAudit

Progress = Callable[[int, int], None]
# Re-sealing runs alongside a live service; a few passes pick up anything that arrived
# during the previous one before the old keys are retired.
_RESEAL_PASSES = 5
_BATCH = 500


class RotationError(Exception):
    """The rotation cannot go ahead (or finish); the message says why."""


@dataclass(frozen=True)
class Rotation:
    unit_id: str
    new_key_id: int
    members: int
    resealed: int
    retired: tuple[int, ...]


async def new_unit_key(
    db: Database, unit_id: str, day: str, *, leaving: int | None = None
) -> tuple[key_store.NewUnitKey, envelope.KeyPair]:
    """A fresh key pair for `unit_id`, sealed to every key holder but `leaving`, and the custodian.

    Security: `leaving` (someone being removed or moved out) never gets a copy; storing it
    re-checks the holders inside the same transaction (store.keys.add_unit_key_tx).
    """
    if await units.get_unit(db, unit_id) is None:
        raise RotationError(f"unknown unit {unit_id!r}; `python run.py keys list-units` lists them")
    try:
        custodian = await certify.custodian_public(db)
        members = [m for m in await key_store.members_with_unit_keys(db, unit_id) if m.id != leaving]
        publics = {m.id: await certify.staff_public(db, m) for m in members}
    except certify.UncertifiedKey as exc:
        raise RotationError(str(exc)) from None
    pair = envelope.generate_keypair()
    grants: dict[int | None, bytes] = {
        m_id: envelope.seal(public, pair.private) for m_id, public in publics.items()
    }
    grants[None] = envelope.seal(custodian, pair.private)

    def entry(key_id: int) -> PendingAudit:
        detail = f"unit={unit_id} key={key_id} holders={len(members)}"
        return audit.pending("unit_key_rotated", unit_id=unit_id, detail=detail)

    certificate = certify.unit_key_certifier(db, unit_id, pair.public)
    return key_store.NewUnitKey(unit_id, pair.public, day, grants, entry, certificate), pair


async def rotate_unit_key(
    db: Database,
    unit_id: str,
    custodian_private: bytes | None,
    day: str,
    *,
    reseal_old: bool = False,
    progress: Progress | None = None,
) -> Rotation:
    """Add a fresh key pair to the unit's ring, sealed to every current member and the custodian.

    With `reseal_old`, every report key and passed-on record sealed to an older key is
    re-sealed to the new one and the older keys are retired: their sealed copies are deleted,
    so the old private keys no longer exist anywhere in the database.
    Only re-sealing needs the custodian key (to open the old keys); a plain rotation seals
    the new key to public keys alone.
    Security: a removed member's copies of the old keys were deleted before this runs, so
    nothing submitted after the rotation is sealed to a key they ever held.
    """
    old_keys: dict[int, bytes] = {}
    if reseal_old:
        if custodian_private is None:
            raise RotationError("re-sealing old reports needs the custodian shares")
        old_keys = await keyring.unit_private_keys_from_custodian(db, unit_id, custodian_private)
        await _refuse_unopenable(db, unit_id, set(old_keys))
    key, pair = await new_unit_key(db, unit_id, day)
    try:
        new_key_id = await key_store.add_unit_key(db, key)
    except key_store.MembersChanged:
        raise RotationError(
            f"the members of {unit_id} changed meanwhile; nothing was stored, run it again"
        ) from None
    members = len(key.grants) - 1
    if not (reseal_old and old_keys):
        return Rotation(unit_id, new_key_id, members, 0, ())
    resealed = await reseal_to(db, old_keys, new_key_id, pair.public, progress)
    retired = tuple(sorted(old_keys))
    detail = f"unit={unit_id} keys={','.join(map(str, retired))} resealed={resealed}"
    entry = audit.pending("unit_key_retired", unit_id=unit_id, detail=detail)
    if not await key_store.retire_unit_keys(db, retired, day, entry):
        raise RotationError(
            f"{unit_id} has its new key #{new_key_id}, but reports kept arriving sealed to the old "
            "keys while re-sealing, so they were not retired; run the rotation with --reseal-old again"
        )
    return Rotation(unit_id, new_key_id, members, resealed, retired)


async def _refuse_unopenable(db: Database, unit_id: str, opened: set[int]) -> None:
    """Refuse to re-seal when an unretired key the custodian cannot open still seals reports.

    Security: such a key (its custodian copy dropped by a forced recovery) could be neither
    re-sealed nor retired, so "done" would be false; nothing is changed and the reports named.
    """
    missing = [
        k.key_id
        for k in await unit_admin.key_holders(db, unit_id)
        if k.retired_day is None and k.key_id not in opened
    ]
    stuck = await unit_admin.reports_sealed_to(db, missing)
    if stuck:
        raise RotationError(
            f"the custodian key cannot open {unit_id}'s key(s) {', '.join(map(str, missing))} "
            f"(dropped by a forced recovery), so report(s) {', '.join(stuck)} sealed to them cannot be "
            "re-sealed and would stay readable only by the members who hold those keys; "
            "nothing was changed (`keys list-units` shows who holds them)"
        )


async def reseal_to(
    db: Database, old_keys: dict[int, bytes], new_key_id: int, new_public: bytes, progress: Progress | None
) -> int:
    """Re-seal everything sealed to `old_keys` to the new key, in batches; returns how many.

    Security: each batch commits on its own, and an old key is only retired after a check
    (in the retiring transaction) that nothing is sealed to it any more, so a crash or a
    report arriving meanwhile never leaves anything readable by no key.
    """
    done = 0
    for _ in range(_RESEAL_PASSES):
        items = await key_store.sealed_under(db, list(old_keys))
        if not items:
            break
        total = done + len(items)
        for start in range(0, len(items), _BATCH):
            batch = [
                (item, new_key_id, _reseal(old_keys[item.unit_key_id], item.sealed, new_public))
                for item in items[start : start + _BATCH]
            ]
            await key_store.reseal(db, batch)
            done += len(batch)
            if progress:
                progress(done, total)
    return done


def _reseal(old_private: bytes, sealed: bytes, new_public: bytes) -> bytes:
    return envelope.seal(new_public, envelope.unseal(old_private, sealed))
