"""The encryption envelope: every use of PyNaCl and argon2id outside receipt_codes lives here.

Pure and synchronous. Every stored ciphertext starts with a version byte; every
symmetric ciphertext is bound to its context with associated data so that a blob
cannot be moved to another report or field without failing to open.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from nacl import bindings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import Box, PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from nacl.signing import SigningKey, VerifyKey

from receipt_codes import KdfParams

VERSION = 1
KEY_BYTES = 32
_NONCE_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
_SALT_BYTES = 16
_MAX_WRAP_MEMORY_KIB = 1024 * 1024
_MAX_WRAP_TIME_COST = 16
_MIN_BUCKET = 512
_LARGE_BUCKET = 64 * 1024


class EnvelopeError(Exception):
    """A ciphertext could not be opened: wrong key, wrong context, altered or truncated."""


class WrongPassword(EnvelopeError):
    """A password-wrapped secret did not open with the password given."""


@dataclass(frozen=True, repr=False)
class KeyPair:
    """An X25519 key pair as raw bytes."""

    private: bytes
    public: bytes

    def __repr__(self) -> str:
        return f"KeyPair(public={fingerprint(self.public)})"


def random_key() -> bytes:
    """A fresh 32-byte symmetric key from the OS CSPRNG."""
    return secrets.token_bytes(KEY_BYTES)


def generate_keypair() -> KeyPair:
    """A fresh random X25519 key pair."""
    sk = PrivateKey.generate()
    return KeyPair(private=bytes(sk), public=bytes(sk.public_key))


def keypair_from_seed(seed: bytes) -> KeyPair:
    """The X25519 key pair determined by a 32-byte seed (the reporter's, from the receipt)."""
    sk = PrivateKey.from_seed(seed)
    return KeyPair(private=bytes(sk), public=bytes(sk.public_key))


def public_key_of(private: bytes) -> bytes:
    """The public half of an X25519 private key."""
    return bytes(PrivateKey(private).public_key)


def fingerprint(public: bytes) -> str:
    """A short, human-comparable fingerprint of a public key: 4 groups of 4 hex digits."""
    digest = hashlib.blake2b(public, digest_size=8, person=b"tipdrop:v1:fpr").hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4)).upper()


def seal(recipient_public: bytes, secret: bytes) -> bytes:
    """Seal a (short) secret to an X25519 public key; only the private key opens it."""
    return bytes([VERSION]) + SealedBox(PublicKey(recipient_public)).encrypt(secret)


def unseal(recipient_private: bytes, blob: bytes) -> bytes:
    """Open a blob made by `seal`."""
    check_version(blob)
    try:
        return SealedBox(PrivateKey(recipient_private)).decrypt(blob[1:])
    except (CryptoError, ValueError, TypeError) as exc:
        raise EnvelopeError("sealed box did not open") from exc


def encrypt(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """Encrypt padded plaintext with XChaCha20-Poly1305 under `key`, bound to `context`.

    Security: the plaintext is padded to a size bucket so that stored lengths say little.
    """
    return _encrypt_from_parts(key, secrets.token_bytes(_NONCE_BYTES), plaintext, context)


def _encrypt_from_parts(key: bytes, nonce: bytes, plaintext: bytes, context: bytes) -> bytes:
    """The deterministic core of `encrypt`; tests pin the nonce for known-answer vectors."""
    padded = bindings.sodium_pad(plaintext, _bucket(len(plaintext) + 1))
    header = bytes([VERSION])
    ct = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, header + context, nonce, key)
    return header + nonce + ct


def decrypt(key: bytes, blob: bytes, context: bytes) -> bytes:
    """Open a blob made by `encrypt` with the same key and context."""
    check_version(blob)
    if len(blob) < 1 + _NONCE_BYTES + 16:
        raise EnvelopeError("ciphertext is truncated")
    nonce, ct = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    try:
        padded = bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ct, blob[:1] + context, nonce, key)
        return bindings.sodium_unpad(padded, _bucket(len(padded)))
    except (CryptoError, ValueError, TypeError) as exc:
        raise EnvelopeError("ciphertext did not open") from exc


def seal_new_item(recipient_public: bytes, plaintext: bytes, context: bytes) -> tuple[bytes, bytes, bytes]:
    """Encrypt under a fresh item key; return (ciphertext, key sealed to recipient, item key)."""
    key = random_key()
    return encrypt(key, plaintext, context), seal(recipient_public, key), key


def wrap_with_password(password: str, secret: bytes, params: KdfParams, purpose: bytes) -> bytes:
    """Encrypt `secret` under a key derived from `password` with argon2id and a fresh salt.

    Layout: version, t (1 byte), m KiB (4), p (1), salt (16), SecretBox. The parameters
    travel with the blob so they can be raised later without breaking old wraps.
    """
    salt, nonce = secrets.token_bytes(_SALT_BYTES), secrets.token_bytes(SecretBox.NONCE_SIZE)
    return _wrap_from_parts(password, secret, params, purpose, salt, nonce)


def _wrap_from_parts(
    password: str, secret: bytes, params: KdfParams, purpose: bytes, salt: bytes, nonce: bytes
) -> bytes:
    """The deterministic core of `wrap_with_password`; tests pin salt and nonce for known answers."""
    key = _password_key(password, salt, params, purpose)
    header = (
        bytes([VERSION, params.time_cost])
        + params.memory_kib.to_bytes(4, "big")
        + bytes([params.parallelism])
        + salt
    )
    return header + SecretBox(key).encrypt(secret, nonce)


def wrap_cost(blob: bytes) -> KdfParams:
    """The argon2id cost a password-wrapped blob was made with (recorded in its header)."""
    check_version(blob)
    if len(blob) < 7:
        raise EnvelopeError("wrapped secret is truncated")
    try:
        return KdfParams(time_cost=blob[1], memory_kib=int.from_bytes(blob[2:6], "big"), parallelism=blob[6])
    except ValueError as exc:
        raise EnvelopeError("wrapped secret has bad parameters") from exc


def unwrap_with_password(password: str, blob: bytes, purpose: bytes) -> bytes:
    """Open a blob made by `wrap_with_password`; raises WrongPassword on any mismatch."""
    check_version(blob)
    if len(blob) < 7 + _SALT_BYTES + SecretBox.NONCE_SIZE + SecretBox.MACBYTES:
        raise EnvelopeError("wrapped secret is truncated")
    try:
        params = KdfParams(
            time_cost=blob[1], memory_kib=int.from_bytes(blob[2:6], "big"), parallelism=blob[6]
        )
    except ValueError as exc:
        raise EnvelopeError("wrapped secret has bad parameters") from exc
    if params.memory_kib > _MAX_WRAP_MEMORY_KIB or params.time_cost > _MAX_WRAP_TIME_COST:
        # Security: a crafted file must not make us allocate gigabytes or run for minutes.
        raise EnvelopeError("wrapped secret asks for argon2id costs beyond what this service uses")
    salt = blob[7 : 7 + _SALT_BYTES]
    key = _password_key(password, salt, params, purpose)
    try:
        return SecretBox(key).decrypt(blob[7 + _SALT_BYTES :])
    except CryptoError as exc:
        raise WrongPassword("wrong password") from exc


def secret_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison of two secrets."""
    return secrets.compare_digest(a, b)


def keyed_digest(key: bytes, message: bytes, purpose: bytes) -> bytes:
    """A 32-byte keyed BLAKE2b MAC of `message`, separated by `purpose`."""
    return hashlib.blake2b(message, key=key, digest_size=32, person=purpose[:16]).digest()


SUBJECT_PURPOSE = b"tipdrop:v1:subj"


def subject_digest(key: bytes, kind: str, normalised: str) -> bytes:
    """The keyed BLAKE2b-256 digest of one normalised identifier a report names.

    Security: keyed with a unit's random subject key (stored only sealed to its ring), so the
    digests stored beside reports cannot be recomputed, nor a guess tested, without a
    member's unlocked key; the kind is inside the message, so a name never equals a collar.
    """
    if len(key) != KEY_BYTES:
        raise EnvelopeError("a subject key is 32 bytes")
    message = kind.encode("utf-8") + b"\x00" + normalised.encode("utf-8")
    return keyed_digest(key, message, SUBJECT_PURPOSE)


class Sha256:
    """SHA-256 over a stream: the digest a case system checks an exported file against.

    Not a secret or a MAC: the export publishes it beside the file it describes.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def chain_digest(previous: bytes, entry: bytes) -> bytes:
    """The 32-byte BLAKE2b link of a hash chain: H(previous link, this entry's encoding).

    Security: changing, inserting or removing any entry changes every later link, so the
    audit log's head hash commits to the whole history before it.
    """
    return hashlib.blake2b(previous + entry, digest_size=32, person=b"tipdrop:v1:audit").digest()


def derive_key(seed: bytes, purpose: bytes) -> bytes:
    """A 32-byte key for one purpose from a secret seed (keyed BLAKE2b over the whole purpose).

    Security: every key made from the outside-the-database seed has its own purpose string,
    so the audit chain key, the checkpoint signing key and the certificate key never coincide.
    """
    return hashlib.blake2b(purpose, key=seed, digest_size=32, person=b"tipdrop:v1:kdf").digest()


def keyed_chain_digest(key: bytes, previous: bytes, entry: bytes) -> bytes:
    """A link of a keyed hash chain: BLAKE2b keyed with `key` over (previous link, entry).

    Security: without the key nobody can compute a link, so whoever can write the database
    but does not hold the key cannot rebuild the chain after editing, removing or cutting it.
    """
    return hashlib.blake2b(previous + entry, key=key, digest_size=32, person=b"tipdrop:v2:audit").digest()


@dataclass(frozen=True, repr=False)
class SigningPair:
    """An Ed25519 key pair: the 32-byte seed (private) and the public verify key."""

    seed: bytes
    public: bytes

    def __repr__(self) -> str:
        return f"SigningPair(public={fingerprint(self.public)})"


def signing_pair_from_seed(seed: bytes) -> SigningPair:
    """The Ed25519 key pair determined by a 32-byte seed."""
    return SigningPair(seed=seed, public=bytes(SigningKey(seed).verify_key))


def sign(pair: SigningPair, message: bytes) -> bytes:
    """A detached 64-byte Ed25519 signature of `message`."""
    return bytes(SigningKey(pair.seed).sign(message).signature)


def signature_valid(public: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message` by `public`."""
    try:
        VerifyKey(public).verify(message, signature)
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


def box_authenticator(sender_private: bytes, recipient_public: bytes, message: bytes) -> bytes:
    """A Box (X25519 + XSalsa20-Poly1305) over a digest of `message`, from sender to recipient.

    Security: only the holder of the sender's or the recipient's private key can make one
    that opens, so a reporter's follow-up made with the receipt key is told from one planted
    by someone who can only write the database.
    """
    digest = hashlib.blake2b(message, digest_size=32, person=b"tipdrop:v1:auth").digest()
    return bytes([VERSION]) + Box(PrivateKey(sender_private), PublicKey(recipient_public)).encrypt(digest)


def box_authenticator_valid(
    recipient_private: bytes, sender_public: bytes, message: bytes, authenticator: bytes
) -> bool:
    """True when `authenticator` was made by `box_authenticator` over this very message."""
    if not authenticator or authenticator[0] != VERSION:
        return False
    try:
        opened = Box(PrivateKey(recipient_private), PublicKey(sender_public)).decrypt(authenticator[1:])
    except (CryptoError, ValueError, TypeError):
        return False
    digest = hashlib.blake2b(message, digest_size=32, person=b"tipdrop:v1:auth").digest()
    return secret_equal(opened, digest)


def _password_key(password: str, salt: bytes, params: KdfParams, purpose: bytes) -> bytes:
    return hash_secret_raw(
        secret=purpose + b"\x00" + password.encode("utf-8"),
        salt=salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _bucket(size: int) -> int:
    """Padding block: next power of two from 512 bytes, then multiples of 64 KiB."""
    if size >= _LARGE_BUCKET:
        return _LARGE_BUCKET
    block = _MIN_BUCKET
    while block < size:
        block *= 2
    return block


def check_version(blob: bytes) -> None:
    """Refuse an empty blob or one whose version byte this code does not know."""
    if not blob:
        raise EnvelopeError("ciphertext is empty")
    if blob[0] != VERSION:
        raise EnvelopeError(f"unknown ciphertext version {blob[0]}")


def checksum(data: bytes) -> bytes:
    """An unkeyed BLAKE2b-256 digest: tells a damaged file from a wrong passphrase."""
    return hashlib.blake2b(data, digest_size=32, person=b"tipdrop:v1:sum").digest()
