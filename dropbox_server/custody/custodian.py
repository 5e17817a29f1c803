"""The custodian (escrow) key, held offline as K-of-N SLIP-39 shares by named people.

Security: the private key exists only in memory, for the length of one command, after K
shares were typed in; the server keeps the public key, so unit keys and key backups can be
sealed to it at any time without anyone's shares. Shares are checked against that public
key before anything is opened with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import audit, custodian_shares, envelope
from dropbox_server.custodian_shares import ShareError
from dropbox_server.custody import certify
from dropbox_server.store import Database
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store import keys as key_store

LEGACY_PURPOSE = b"tipdrop:v1:custodian"
SPLIT_FIRST = (
    "this data directory still holds the custodian key under a passphrase: run "
    "`python run.py keys split-custodian` first to split it into shares"
)
COMMAND_LINE = "security staff (command line)"


class CustodianError(Exception):
    """The custodian key cannot be used or made; the message says why in plain words."""


@dataclass(frozen=True)
class ShareSpec:
    """How to split: K of N, with an optional holder name for each share."""

    threshold: int = 3
    count: int = 5
    holders: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.holders and len(self.holders) != self.count:
            raise CustodianError(f"{len(self.holders)} holders were named for {self.count} shares")
        if len(set(self.holders)) != len(self.holders):
            raise CustodianError("each holder must be named once")
        try:
            custodian_shares.check_split(self.threshold, self.count)
        except ShareError as exc:
            raise CustodianError(str(exc)) from None

    @classmethod
    def parse(cls, threshold: int, count: int | None, holders: str | None) -> ShareSpec:
        """From command-line flags: `--holders "a,b,c"` sets the count when --shares is not given."""
        names = tuple(h.strip() for h in holders.split(",")) if holders else ()
        if any(not n for n in names):
            raise CustodianError("a holder name is empty in --holders")
        return cls(threshold, count if count is not None else (len(names) or 5), names)


@dataclass(frozen=True, repr=False)
class IssuedShare:
    """One share to print once, with who should hold it."""

    label: str
    words: str
    fingerprint: str  # of the custodian PUBLIC key: written beside each share, to compare later

    def __repr__(self) -> str:
        return f"IssuedShare({self.label})"


def issue(private: bytes, spec: ShareSpec) -> list[IssuedShare]:
    """Split a custodian private key into the shares `spec` asks for, labelled for their holders."""
    words = custodian_shares.split(private, spec.threshold, spec.count)
    labels = spec.holders or tuple(f"share {i} of {spec.count}" for i in range(1, spec.count + 1))
    fingerprint = envelope.fingerprint(envelope.public_key_of(private))
    return [IssuedShare(label, w, fingerprint) for label, w in zip(labels, words, strict=True)]


async def create(db: Database, spec: ShareSpec) -> list[IssuedShare]:
    """A new custodian key pair: the public key is stored, the private key only split and shown."""
    if await enrolment_store.custodian_public_key(db) is not None:
        raise CustodianError("this data directory already has a custodian key")
    pair = envelope.generate_keypair()
    shares = issue(pair.private, spec)
    await enrolment_store.set_custodian_public(db, pair.public)
    await certify.certify_custodian(db, pair.public)
    return shares


async def refuse_unsplit(db: Database) -> None:
    """Refuse to use a directory whose custodian key is still wrapped under a passphrase."""
    if await enrolment_store.legacy_wrapped_custodian(db) is not None:
        raise CustodianError(SPLIT_FIRST)


async def unlock(db: Database, shares: list[str]) -> bytes:
    """The custodian private key from K shares, checked against the pinned, certified public key.

    Security: every command that asks for shares comes here. The key as the database stores it
    is not enough: a database writer could store a key they split themselves, let one officer
    feed their shares to the door and put the real key back (insider finding U1). The pin file
    and the certificate (audit.key) are out of a writer's reach; a mismatch is refused and
    recorded as a failed key check, so health stays red until K share holders acknowledge it.
    """
    await refuse_unsplit(db)
    try:
        public = await certify.custodian_public(db)
    except certify.UncertifiedKey as exc:
        raise CustodianError(str(exc)) from None
    return private_from_shares(shares, public)


async def unlock_restored(db: Database, shares: list[str]) -> bytes:
    """The custodian private key from K shares, checked against the PINNED key only.

    Only for `certify-restored`: a restored copy from before certificates has no custodian
    certificate yet. Security: the pin is written by the restore, outside the database;
    `certify.certify_restored` then also requires the copy's row to equal it.
    """
    await refuse_unsplit(db)
    pinned = certify.read_pin(certify.pin_path(db))
    if pinned is None:
        raise CustodianError(f"no custodian key is pinned in {certify.PIN_NAME}")
    return private_from_shares(shares, pinned)


def private_from_shares(shares: list[str], public: bytes) -> bytes:
    """Combine K shares and check the result is the private half of `public`."""
    try:
        private = custodian_shares.combine(shares)
    except ShareError as exc:
        raise CustodianError(str(exc)) from None
    if len(private) != envelope.KEY_BYTES or not envelope.secret_equal(
        envelope.public_key_of(private), public
    ):
        raise CustodianError("these shares rebuild a key, but not this service's custodian key")
    return private


async def split_legacy(db: Database, passphrase: str, spec: ShareSpec) -> list[IssuedShare]:
    """Migration: open the passphrase-wrapped custodian key once, move every unit key to a NEW
    custodian key pair split into shares, and remove the wrapped copy.

    Security: a new key pair, not a split of the old one: an older copy of the database (or a
    backup) opened with a guessed old passphrase reaches only unit keys made before the split,
    never one made after it. Key backups made before it still need the old passphrase.
    """
    wrapped = await enrolment_store.legacy_wrapped_custodian(db)
    if wrapped is None:
        raise CustodianError("the custodian key is already held as shares; nothing to split")
    try:
        private = envelope.unwrap_with_password(passphrase, wrapped, LEGACY_PURPOSE)
    except envelope.WrongPassword:
        raise CustodianError("wrong security staff passphrase; nothing was changed") from None
    except envelope.EnvelopeError as exc:
        raise CustodianError(f"the stored custodian key is damaged: {exc}") from None
    return await _new_custodian(db, private, spec, "custodian_split")


async def reshare(db: Database, old_private: bytes, spec: ShareSpec) -> list[IssuedShare]:
    """A new custodian key pair holding every unit key the old one held, split into new shares.

    Security: a new key (not a re-split of the old one) so the old shares, wherever they are,
    open nothing sealed from now on, and old and new shares can never be combined.
    """
    return await _new_custodian(db, old_private, spec, "custodian_reshared")


async def _new_custodian(db: Database, old_private: bytes, spec: ShareSpec, action: str) -> list[IssuedShare]:
    """Re-seal every unit key the old custodian key holds to a new pair, split into shares;
    the old wrapped copy (if any) goes in the same transaction."""
    held = await key_store.custodian_held_keys(db)
    grants: dict[int, bytes] = {}
    pair = envelope.generate_keypair()
    for key_id, sealed in (await key_store.custodian_sealed_keys(db)).items():
        private = envelope.unseal(old_private, sealed)
        if not envelope.secret_equal(envelope.public_key_of(private), held[key_id]):
            raise CustodianError(f"the custodian's copy of unit key #{key_id} is not that key")
        grants[key_id] = envelope.seal(pair.public, private)
    shares = issue(pair.private, spec)
    detail = f"threshold={spec.threshold} shares={spec.count} unit_keys={len(grants)}"
    entry = audit.pending(action, username=COMMAND_LINE, detail=detail)
    try:
        await key_store.replace_custodian(db, pair.public, None, grants, entry)
    except key_store.MembersChanged:
        raise CustodianError("a unit key was made meanwhile; nothing was changed, run it again") from None
    await certify.certify_custodian(db, pair.public)
    return shares
