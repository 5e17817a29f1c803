"""Unit signing keys: each unit key has an Ed25519 twin that signs what the unit sends a reporter.

Custody: the signing key's private half is made from the unit key's X25519 private key
(a keyed BLAKE2b with its own purpose), so it is held exactly like the unit key: sealed to
the unit's members and to the custodian public key (opened only with K custodian
shares), and never stored. Every enrolment, rotation, revocation, recovery and backup of unit keys therefore
covers it with no second path to keep in step. The public half is stored on the server
with a certificate: a MAC under a key made from the outside seed (`audit.key`, beside
the pepper, not in the database), so whoever can write the database cannot swap in a
public key of their own and sign a reply with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import envelope
from dropbox_server.custody import certify
from dropbox_server.store import Database
from dropbox_server.store import authenticity as authenticity_store
from dropbox_server.store import certificates as cert_store

SIGNING_PURPOSE = b"tipdrop:v1:unit-signing-key"
CERTIFICATE_PURPOSE = b"tipdrop:v1:unit-signing-certificate"


class SigningUnavailable(Exception):
    """No certified signing key can be made: the outside key or the unit key is not held."""


@dataclass(frozen=True, repr=False)
class Signer:
    """A unit key's signing pair, ready to sign a reply."""

    unit_key_id: int
    pair: envelope.SigningPair

    def __repr__(self) -> str:
        return f"Signer(unit key {self.unit_key_id})"


def signing_pair(unit_private: bytes) -> envelope.SigningPair:
    """The Ed25519 pair of a unit key (see the module docstring for why it is derived)."""
    return envelope.signing_pair_from_seed(envelope.derive_key(unit_private, SIGNING_PURPOSE))


def _certificate(
    seed: bytes, unit_key_id: int, unit_id: str, unit_public: bytes, signing_public: bytes
) -> bytes:
    message = b"\x00".join(
        (unit_key_id.to_bytes(8, "big"), unit_id.encode("utf-8"), unit_public, signing_public)
    )
    return envelope.keyed_digest(envelope.derive_key(seed, CERTIFICATE_PURPOSE), message, b"tipdrop:v1:cert")


async def current_signer(db: Database, unit_id: str, unit_keys: dict[int, bytes]) -> Signer:
    """The signer for the unit's current key, its public half recorded and certified.

    Security: the unit key must be certified and the newest of its unit (certify.current_unit_key
    refuses loudly otherwise), so a planted newer unit key sealed to the members' public keys
    never gets a signing key certified by an honest reply (insider finding F7). The record is
    rewritten whenever it is not exactly what the key held makes, so a row planted in the
    database (say, to stop replies) is simply corrected.
    """
    current = await certify.current_unit_key(db, unit_id)
    if current is None or current.id not in unit_keys:
        raise SigningUnavailable("this member does not hold the unit's current key")
    if db.audit_seed is None:
        raise SigningUnavailable("the outside key (audit.key) is missing")
    pair = signing_pair(unit_keys[current.id])
    cert = _certificate(db.audit_seed, current.id, unit_id, current.public_key, pair.public)
    found = await authenticity_store.signing_key(db, current.id)
    if (
        found is None
        or not envelope.secret_equal(found.public_key, pair.public)
        or not envelope.secret_equal(found.certificate, cert)
    ):
        await authenticity_store.put_signing_key(db, current.id, pair.public, cert)
    return Signer(current.id, pair)


async def certified_signer(db: Database, unit_key_id: int) -> tuple[str, bytes] | None:
    """(unit id, signing public key) of a unit key, only if its certificate holds; else None.

    Security: the unit key itself must carry its certificate too, so a signing record made for
    a planted unit key (by any path) never verifies a reply (insider finding F7).
    """
    found = await authenticity_store.signing_key(db, unit_key_id)
    if found is None or db.audit_seed is None:
        return None
    unit_cert = certify.unit_key_certificate(
        db.audit_seed, found.unit_key_id, found.unit_id, found.unit_public_key
    )
    if not certify.matches(await cert_store.unit_key_certificate(db, found.unit_key_id), unit_cert):
        return None
    cert = _certificate(
        db.audit_seed, found.unit_key_id, found.unit_id, found.unit_public_key, found.public_key
    )
    if not envelope.secret_equal(found.certificate, cert):
        return None
    return found.unit_id, found.public_key
