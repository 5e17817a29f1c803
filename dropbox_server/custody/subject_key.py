"""Each unit's subject key: the random key that hashes the identifiers its reports name.

Security: kept like a unit's private key. It is made from the OS CSPRNG on first use, stored
only sealed to the public keys of the unit's ring, and opened only with a unit private key
that a signed-in member's password unlocked for their session. So the database and every
other file of the data directory, without a member's password, cannot test a guessed collar
number or name against the digests stored beside reports. Sealing to the ring needs only
public keys, so each subject key is also certified under the outside key (custody/certify.py)
when it is made, and checked each time it is opened: a key a database writer sealed to the
ring is refused, never used (insider finding F8).
"""

from __future__ import annotations

from dropbox_server import envelope
from dropbox_server.custody import certify
from dropbox_server.custody.keyring import KeyringError
from dropbox_server.store import Database
from dropbox_server.store import subjects as subject_store


async def open_subject_key(
    db: Database, unit_id: str, unit_keys: dict[int, bytes], day: str
) -> tuple[int, bytes]:
    """(subject key id, key) of the unit, made on first use, opened with the session's unit keys.

    A ring key added since (rotation) gets its own sealed copy here, so members enrolled
    with only the new key can open it too.
    """
    try:
        ring = [k for k in await certify.unit_ring(db, unit_id) if k.retired_day is None]
    except certify.UncertifiedKey as exc:
        raise KeyringError(str(exc)) from None
    found = await subject_store.subject_key(db, unit_id)
    if found is None:
        if not ring:
            raise KeyringError(f"unit {unit_id!r} has no key to seal a subject key to")
        fresh = envelope.random_key()
        grants = {k.id: envelope.seal(k.public_key, fresh) for k in ring}
        certifier = certify.subject_key_certifier(db, unit_id, fresh)
        # Another session's may win the race; its key is certified the same way.
        await subject_store.create_subject_key(db, unit_id, day, grants, certifier)
        found = await subject_store.subject_key(db, unit_id)
        if found is None:
            raise KeyringError("the subject key could not be stored")
    key = _open(found.grants, unit_keys)
    if key is None:
        raise KeyringError("none of this session's unit keys opens the unit's subject key")
    # Refused loudly (UncertifiedKey: audited, a clear error page and log line), never used.
    await certify.check_subject_key(db, found, key)
    for ring_key in ring:
        if ring_key.id not in found.grants:
            await subject_store.add_grant(db, found.id, ring_key.id, envelope.seal(ring_key.public_key, key))
    return found.id, key


def _open(grants: dict[int, bytes], unit_keys: dict[int, bytes]) -> bytes | None:
    for unit_key_id, sealed in sorted(grants.items(), reverse=True):
        private = unit_keys.get(unit_key_id)
        if private is None:
            continue
        try:
            return envelope.unseal(private, sealed)
        except envelope.EnvelopeError:
            continue
    return None
