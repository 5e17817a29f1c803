"""The encryption envelope: every use of PyNaCl and argon2id outside receipt_codes lives here.

Pure and synchronous. Every stored ciphertext starts with a version byte; every
symmetric ciphertext is bound to its context with associated data so that a blob
cannot be moved to another report or field without failing to open.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from nacl import bindings
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

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
    _check_version(blob)
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
    _check_version(blob)
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


def unwrap_with_password(password: str, blob: bytes, purpose: bytes) -> bytes:
    """Open a blob made by `wrap_with_password`; raises WrongPassword on any mismatch."""
    _check_version(blob)
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


def chain_digest(previous: bytes, entry: bytes) -> bytes:
    """The 32-byte BLAKE2b link of a hash chain: H(previous link, this entry's encoding).

    Security: changing, inserting or removing any entry changes every later link, so the
    audit log's head hash commits to the whole history before it.
    """
    return hashlib.blake2b(previous + entry, digest_size=32, person=b"tipdrop:v1:audit").digest()


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


def _check_version(blob: bytes) -> None:
    if not blob:
        raise EnvelopeError("ciphertext is empty")
    if blob[0] != VERSION:
        raise EnvelopeError(f"unknown ciphertext version {blob[0]}")


# --- Files: libsodium secretstream (XChaCha20-Poly1305) in fixed-size records -------------
#
# Layout of a stored file, version 1:
#   version byte (1) | secretstream header (24) | N records of FILE_RECORD_BYTES each
# Every record carries exactly FILE_RECORD_PLAIN bytes of plaintext, so the only size on
# disk is N, and N is padded (Padmé, over the record count). Records before the end are
# data (TAG_MESSAGE). The record where the data ends holds the last bytes ISO/IEC 7816-4
# padded to a full record, tagged TAG_FINAL when nothing follows or TAG_PUSH when padding
# records (all zero, TAG_MESSAGE, the last one TAG_FINAL) follow. secretstream itself
# refuses reordered, repeated or altered records; the final tag makes truncation visible.
# Every record's associated data is the version byte and the file's context (report and
# file id), so a file cannot be moved to another report or swapped with another file.

FILE_RECORD_PLAIN = 64 * 1024
FILE_RECORD_BYTES = FILE_RECORD_PLAIN + bindings.crypto_secretstream_xchacha20poly1305_ABYTES
FILE_HEADER_BYTES = 1 + bindings.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_MESSAGE = bindings.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_PUSH = bindings.crypto_secretstream_xchacha20poly1305_TAG_PUSH
_TAG_FINAL = bindings.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_FILE_STREAM_PURPOSE = b"tipdrop:v1:fstrm"
_FILE_META_PURPOSE = b"tipdrop:v1:fmeta"
_ZERO_RECORD = bytes(FILE_RECORD_PLAIN)


def _file_subkey(file_key: bytes, purpose: bytes) -> bytes:
    """Separate keys for a file's stream and its metadata, so one key never serves two ciphers."""
    return keyed_digest(file_key, b"", purpose)


def padded_record_count(records: int) -> int:
    """Padmé (Nikitin et al., PURBs, 2019) over the record count: at most ~12% overhead.

    Security: a stored size then reveals O(log log n) bits of the real size instead of all.
    """
    if records <= 2:
        return records
    exponent = records.bit_length() - 1
    mantissa_bits = exponent.bit_length()
    mask = (1 << (exponent - mantissa_bits)) - 1
    return (records + mask) & ~mask


def sealed_file_size(records: int) -> int:
    """Bytes on disk of a file of `records` records (after padding)."""
    return FILE_HEADER_BYTES + records * FILE_RECORD_BYTES


class FileSealer:
    """Encrypts one file as its bytes arrive; memory holds at most one record of plaintext.

    Security: the caller writes `header`, then whatever `push` returns, then every record
    `finish` yields; no plaintext is ever returned or kept beyond the current record.
    """

    def __init__(self, file_key: bytes, context: bytes):
        self._state = bindings.crypto_secretstream_xchacha20poly1305_state()
        stream_key = _file_subkey(file_key, _FILE_STREAM_PURPOSE)
        ss_header = bindings.crypto_secretstream_xchacha20poly1305_init_push(self._state, stream_key)
        self.header = bytes([VERSION]) + ss_header
        self._ad = bytes([VERSION]) + context
        self._buffer = bytearray()
        self.records = 0
        self.plaintext_bytes = 0
        self._finished = False

    def _record(self, plain: bytes, tag: int) -> bytes:
        self.records += 1
        return bindings.crypto_secretstream_xchacha20poly1305_push(self._state, plain, self._ad, tag)

    def push(self, data: bytes) -> bytes:
        """Take more plaintext; return the ciphertext of every record now complete."""
        if self._finished:
            raise ValueError("this file is already sealed")
        self.plaintext_bytes += len(data)
        self._buffer += data
        out = bytearray()
        start = 0
        # Keep the buffer strictly below a record so the end record always has room to pad.
        while len(self._buffer) - start >= FILE_RECORD_PLAIN:
            out += self._record(bytes(self._buffer[start : start + FILE_RECORD_PLAIN]), _TAG_MESSAGE)
            start += FILE_RECORD_PLAIN
        del self._buffer[:start]
        return bytes(out)

    def finish(self) -> Iterator[bytes]:
        """Yield the end record and the padding records, one record at a time."""
        if self._finished:
            raise ValueError("this file is already sealed")
        self._finished = True
        total = padded_record_count(self.records + 1)
        padding = total - self.records - 1
        last = bindings.sodium_pad(bytes(self._buffer), FILE_RECORD_PLAIN)
        self._buffer.clear()
        yield self._record(last, _TAG_PUSH if padding else _TAG_FINAL)
        for n in range(padding):
            yield self._record(_ZERO_RECORD, _TAG_FINAL if n == padding - 1 else _TAG_MESSAGE)

    @property
    def sealed_size(self) -> int:
        """Bytes written so far, header included (the stored size once `finish` is done)."""
        return sealed_file_size(self.records)


class FileOpener:
    """Decrypts a file made by FileSealer one record at a time; raises EnvelopeError on any fault.

    Security: a record that was altered, moved, repeated or taken from another file fails to
    open; data after the end and a missing end (truncation) fail too, so a caller never
    passes on corrupt or partial data as if it were whole.
    """

    def __init__(self, file_key: bytes, header: bytes, context: bytes):
        if len(header) != FILE_HEADER_BYTES:
            raise EnvelopeError("file is truncated")
        _check_version(header)
        self._state = bindings.crypto_secretstream_xchacha20poly1305_state()
        stream_key = _file_subkey(file_key, _FILE_STREAM_PURPOSE)
        try:
            bindings.crypto_secretstream_xchacha20poly1305_init_pull(self._state, header[1:], stream_key)
        except (CryptoError, ValueError, TypeError) as exc:
            raise EnvelopeError("file header is damaged") from exc
        self._ad = header[:1] + context
        self._data_ended = False
        self.finished = False

    def pull(self, record: bytes) -> bytes:
        """The plaintext data in one record (empty for padding records)."""
        if self.finished:
            raise EnvelopeError("file has data after its end")
        if len(record) != FILE_RECORD_BYTES:
            raise EnvelopeError("file is truncated")
        try:
            plain, tag = bindings.crypto_secretstream_xchacha20poly1305_pull(self._state, record, self._ad)
        except (CryptoError, ValueError, TypeError) as exc:
            raise EnvelopeError("file is damaged or altered: a part of it did not open") from exc
        if self._data_ended:
            if tag not in (_TAG_MESSAGE, _TAG_FINAL) or not secret_equal(plain, _ZERO_RECORD):
                raise EnvelopeError("file padding is damaged")
            self.finished = tag == _TAG_FINAL
            return b""
        if tag == _TAG_MESSAGE:
            return plain
        if tag not in (_TAG_PUSH, _TAG_FINAL):
            raise EnvelopeError("file has an unknown record tag")
        self._data_ended = True
        self.finished = tag == _TAG_FINAL
        try:
            return bindings.sodium_unpad(plain, FILE_RECORD_PLAIN)
        except (CryptoError, ValueError, TypeError) as exc:
            raise EnvelopeError("file end record is damaged") from exc

    def close(self) -> None:
        """Call after the last record: raises EnvelopeError if the file ended early."""
        if not self.finished:
            raise EnvelopeError("file is truncated: its end is missing")


def seal_file_meta(file_key: bytes, meta: bytes, context: bytes) -> bytes:
    """Encrypt a file's name, type and size under its own subkey of the file key."""
    return encrypt(_file_subkey(file_key, _FILE_META_PURPOSE), meta, context + b":meta")


def open_file_meta(file_key: bytes, blob: bytes, context: bytes) -> bytes:
    """Open what `seal_file_meta` made."""
    return decrypt(_file_subkey(file_key, _FILE_META_PURPOSE), blob, context + b":meta")


def checksum(data: bytes) -> bytes:
    """An unkeyed BLAKE2b-256 digest: tells a damaged file from a wrong passphrase."""
    return hashlib.blake2b(data, digest_size=32, person=b"tipdrop:v1:sum").digest()
