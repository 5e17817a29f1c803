"""Writes the known-answer vectors in this folder. Run once by hand; never by the test suite.

    python -m tests.vectors.make_vectors

Where each value comes from is written into its file ("source"). The argon2id outputs and
the reporter's public key are computed here with pyca/cryptography (OpenSSL's Argon2id and
X25519), not with argon2-cffi and PyNaCl that the service uses, so the service is checked
against an independent implementation. Everything else is the service's own output at the
commit that wrote it, pinned so that any later change of a parameter, a purpose string or a
layout is seen. Regenerating a vector means every receipt, wrapped key, audit chain or
stored file made before stops opening: do it only with a migration.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from dropbox_server import audit, envelope, filecrypt
from dropbox_server.custody import backup, custodian, keyring
from dropbox_server.files.meta import file_context
from dropbox_server.reports import authenticity
from dropbox_server.reports.content import item_context
from dropbox_server.store.audit import AuditEntry

HERE = Path(__file__).resolve().parent
PEPPER = bytes(range(32))
RECEIPT = "abacus abdomen abdominal abide abiding ability ablaze"
PRODUCTION = {"time_cost": 3, "memory_kib": 64 * 1024, "parallelism": 4}
KEY = bytes(range(32))
NONCE = bytes(range(24))


def argon2id(secret: bytes, salt: bytes, length: int) -> bytes:
    kdf = Argon2id(
        salt=salt,
        length=length,
        iterations=PRODUCTION["time_cost"],
        lanes=PRODUCTION["parallelism"],
        memory_cost=PRODUCTION["memory_kib"],
    )
    return kdf.derive(secret)


def x25519_public_from_seed(seed: bytes) -> bytes:
    """libsodium's crypto_box_seed_keypair: the private key is SHA-512(seed)[:32]."""
    private = X25519PrivateKey.from_private_bytes(hashlib.sha512(seed).digest()[:32])
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def receipt_vector() -> dict[str, object]:
    purpose = b"tipdrop:v1:receipt\x00"
    out = argon2id(purpose + RECEIPT.encode("utf-8"), PEPPER, 64)
    return {
        "source": "argon2id by pyca/cryptography (OpenSSL), independent of argon2-cffi; "
        "X25519 public key by pyca/cryptography from SHA-512(seed)[:32] as libsodium does",
        "purpose_hex": purpose.hex(),
        **PRODUCTION,
        "hash_len": 64,
        "pepper_hex": PEPPER.hex(),
        "receipt": RECEIPT,
        "lookup_id_hex": out[:32].hex(),
        "key_seed_hex": out[32:].hex(),
        "reporter_public_key_hex": x25519_public_from_seed(out[32:]).hex(),
    }


def key_wrap_vector() -> dict[str, object]:
    password, purpose = "correct horse battery staple", keyring.STAFF_KEY_PURPOSE
    salt, nonce, secret = bytes(range(16)), bytes(range(100, 124)), bytes(range(200, 232))
    key = argon2id(purpose + b"\x00" + password.encode("utf-8"), salt, 32)
    params = envelope.KdfParams(**PRODUCTION)
    blob = envelope._wrap_from_parts(password, secret, params, purpose, salt, nonce)
    return {
        "source": "key by pyca/cryptography's Argon2id over purpose || 0x00 || password "
        "(independent of argon2-cffi); blob by envelope._wrap_from_parts",
        "password": password,
        "purpose_hex": purpose.hex(),
        **PRODUCTION,
        "salt_hex": salt.hex(),
        "nonce_hex": nonce.hex(),
        "secret_hex": secret.hex(),
        "key_hex": key.hex(),
        "blob_hex": blob.hex(),
    }


def purposes_vector() -> dict[str, object]:
    return {
        "source": "the strings in the code at the commit that wrote this file",
        "receipt_codes.derive._PURPOSE": "tipdrop:v1:receipt\x00",
        "dropbox_server.custody.keyring.STAFF_KEY_PURPOSE": keyring.STAFF_KEY_PURPOSE.decode(),
        "dropbox_server.custody.custodian.LEGACY_PURPOSE": custodian.LEGACY_PURPOSE.decode(),
        "dropbox_server.custody.backup.CONTEXT": backup.CONTEXT.decode(),
        "dropbox_server.envelope.SUBJECT_PURPOSE": envelope.SUBJECT_PURPOSE.decode(),
        "dropbox_server.reports.authenticity.REPLY_PURPOSE": authenticity.REPLY_PURPOSE.decode(),
        "dropbox_server.reports.authenticity.POSITIONED_REPLY_PURPOSE": (
            authenticity.POSITIONED_REPLY_PURPOSE.decode()
        ),
        "dropbox_server.reports.authenticity.FOLLOW_UP_PURPOSE": authenticity.FOLLOW_UP_PURPOSE.decode(),
        "dropbox_server.reports.authenticity.POSITIONED_FOLLOW_UP_PURPOSE": (
            authenticity.POSITIONED_FOLLOW_UP_PURPOSE.decode()
        ),
        "dropbox_server.filecrypt._FILE_STREAM_PURPOSE": filecrypt._FILE_STREAM_PURPOSE.decode(),
        "dropbox_server.filecrypt._FILE_META_PURPOSE": filecrypt._FILE_META_PURPOSE.decode(),
        "item_context('r1', 'report')": item_context("r1", "report").decode(),
        "file_context('r1', 'f1')": file_context("r1", "f1").decode(),
    }


def digests_vector() -> dict[str, object]:
    entry = AuditEntry(
        at="2026-12-02T20:00:00+00:00",
        action="view",
        staff_id=7,
        username="alice",
        unit_id="kent-police",
        report_id="abc123",
        detail="",
    )
    return {
        "source": "hashlib BLAKE2b as the service calls it, at the commit that wrote this file",
        "fingerprint_of_0_to_31": envelope.fingerprint(KEY),
        "chain_digest_hex": envelope.chain_digest(bytes(32), b"entry").hex(),
        "checksum_hex": envelope.checksum(b"backup body").hex(),
        "keyed_digest_hex": envelope.keyed_digest(KEY, b"message", b"tipdrop:v1:test").hex(),
        "file_stream_subkey_hex": filecrypt._file_subkey(KEY, filecrypt._FILE_STREAM_PURPOSE).hex(),
        "file_meta_subkey_hex": filecrypt._file_subkey(KEY, filecrypt._FILE_META_PURPOSE).hex(),
        "audit_entry": {
            "seq": 1,
            "previous_hex": bytes(32).hex(),
            "at": entry.at,
            "action": entry.action,
            "staff_id": entry.staff_id,
            "username": entry.username,
            "unit_id": entry.unit_id,
            "report_id": entry.report_id,
            "detail": entry.detail,
            "encoding": audit.encode_entry(1, entry).decode("ascii"),
            "link_hex": audit.link(1, bytes(32), entry, None).hex(),
        },
    }


def ciphertexts_vector() -> dict[str, object]:
    recipient = envelope.keypair_from_seed(bytes([7]) * 32)
    meta_context = file_context("r1", "f1")
    return {
        "source": "libsodium through the envelope at the commit that wrote this file; sealed "
        "boxes and file headers are random, so those are kept as ciphertexts to open",
        "key_hex": KEY.hex(),
        "nonce_hex": NONCE.hex(),
        "plaintext": "hello",
        "context": "ctx",
        "encrypt_blob_hex": envelope._encrypt_from_parts(KEY, NONCE, b"hello", b"ctx").hex(),
        "recipient_seed_hex": (bytes([7]) * 32).hex(),
        "sealed_secret": "content key",
        "sealed_blob_hex": envelope.seal(recipient.public, b"content key").hex(),
        "file_meta_context": meta_context.decode(),
        "file_meta": "photo.jpg|image/jpeg|5",
        "file_meta_blob_hex": filecrypt.seal_file_meta(KEY, b"photo.jpg|image/jpeg|5", meta_context).hex(),
    }


def file_stream_vector() -> dict[str, object]:
    context = file_context("r1", "f1")
    plaintext = b"a known file\n"
    sealer = filecrypt.FileSealer(KEY, context)
    blob = sealer.header + sealer.push(plaintext) + b"".join(sealer.finish())
    (HERE / "file_stream.bin").write_bytes(blob)
    return {
        "source": "libsodium secretstream through filecrypt.FileSealer at the commit that wrote "
        "file_stream.bin (its header is random, so the whole file is kept)",
        "key_hex": KEY.hex(),
        "context": context.decode(),
        "plaintext": plaintext.decode(),
        "file": "file_stream.bin",
        "sha256": hashlib.sha256(blob).hexdigest(),
        "version": envelope.VERSION,
        "header_bytes": filecrypt.FILE_HEADER_BYTES,
        "record_plain_bytes": filecrypt.FILE_RECORD_PLAIN,
        "record_bytes": filecrypt.FILE_RECORD_BYTES,
        "padded_record_counts": {str(n): filecrypt.padded_record_count(n) for n in (1, 2, 3, 9, 17, 100, 1000)},
    }


def main() -> None:
    for name, make in (
        ("receipt", receipt_vector),
        ("key_wrap", key_wrap_vector),
        ("purposes", purposes_vector),
        ("digests", digests_vector),
        ("ciphertexts", ciphertexts_vector),
        ("file_stream", file_stream_vector),
    ):
        (HERE / f"{name}.json").write_text(json.dumps(make(), indent=2, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
