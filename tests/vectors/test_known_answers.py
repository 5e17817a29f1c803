"""Known answers: every parameter, purpose string and layout that stored data depends on.

Each vector file says where its values came from (see make_vectors.py). A change of any
parameter fails a test whose name says which one: a silent change would stop every receipt,
wrapped key, audit chain or stored file made before it from opening.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from dropbox_server import audit, envelope, filecrypt
from dropbox_server.files.meta import file_context
from dropbox_server.reports import authenticity
from dropbox_server.reports.content import item_context
from dropbox_server.store.audit import AuditEntry
from receipt_codes import KdfParams, derive_reporter_secrets
from receipt_codes.types import Receipt

HERE = Path(__file__).resolve().parent


def vector(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text("ascii"))
    return loaded


RECEIPT = vector("receipt")
WRAP = vector("key_wrap")
PURPOSES = vector("purposes")
DIGESTS = vector("digests")
CIPHERTEXTS = vector("ciphertexts")
FILE = vector("file_stream")
PRODUCTION = KdfParams(RECEIPT["time_cost"], RECEIPT["memory_kib"], RECEIPT["parallelism"])


# --- Receipt derivation -------------------------------------------------------------------


@pytest.mark.parametrize("parameter", ["time_cost", "memory_kib", "parallelism"])
def test_production_receipt_cost(parameter: str) -> None:
    assert getattr(KdfParams(), parameter) == RECEIPT[parameter], f"receipt argon2id {parameter} changed"


def test_receipt_purpose_string() -> None:
    from receipt_codes import derive

    assert bytes.fromhex(RECEIPT["purpose_hex"]) == derive._PURPOSE


def test_receipt_vector_matches_an_independent_argon2id() -> None:
    """The checked-in vector is what OpenSSL's Argon2id says, not only what our library says."""
    kdf = Argon2id(
        salt=bytes.fromhex(RECEIPT["pepper_hex"]),
        length=RECEIPT["hash_len"],
        iterations=RECEIPT["time_cost"],
        lanes=RECEIPT["parallelism"],
        memory_cost=RECEIPT["memory_kib"],
    )
    out = kdf.derive(bytes.fromhex(RECEIPT["purpose_hex"]) + RECEIPT["receipt"].encode())
    assert out.hex() == RECEIPT["lookup_id_hex"] + RECEIPT["key_seed_hex"]


def test_receipt_derivation_at_production_parameters() -> None:
    """Pins purpose, costs, hash length, argon2 type and the 32/32 split in one run."""
    got = derive_reporter_secrets(Receipt(RECEIPT["receipt"]), bytes.fromhex(RECEIPT["pepper_hex"]), PRODUCTION)
    assert got.lookup_id.hex() == RECEIPT["lookup_id_hex"], "lookup id: purpose, a cost or the split changed"
    assert got.key_seed.hex() == RECEIPT["key_seed_hex"], "key seed: the second half changed"
    pair = envelope.keypair_from_seed(got.key_seed)
    assert pair.public.hex() == RECEIPT["reporter_public_key_hex"], "reporter key pair from the seed changed"


# --- Password key wrapping ----------------------------------------------------------------

WRAP_PARAMS = KdfParams(WRAP["time_cost"], WRAP["memory_kib"], WRAP["parallelism"])


def wrap_parts() -> tuple[str, bytes, bytes, bytes, bytes]:
    return (
        WRAP["password"],
        bytes.fromhex(WRAP["secret_hex"]),
        bytes.fromhex(WRAP["purpose_hex"]),
        bytes.fromhex(WRAP["salt_hex"]),
        bytes.fromhex(WRAP["nonce_hex"]),
    )


def test_key_wrap_key_from_password_salt_and_costs() -> None:
    password, _, purpose, salt, _ = wrap_parts()
    key = envelope._password_key(password, salt, WRAP_PARAMS, purpose)
    assert key.hex() == WRAP["key_hex"]


def test_key_wrap_blob_layout() -> None:
    password, secret, purpose, salt, nonce = wrap_parts()
    blob = envelope._wrap_from_parts(password, secret, WRAP_PARAMS, purpose, salt, nonce)
    assert blob.hex() == WRAP["blob_hex"]


@pytest.mark.parametrize(
    ("parameter", "where"),
    [("version", slice(0, 1)), ("time_cost", slice(1, 2)), ("memory_kib", slice(2, 6)),
     ("parallelism", slice(6, 7)), ("salt", slice(7, 23)), ("nonce", slice(23, 47))],
)
def test_key_wrap_header_field(parameter: str, where: slice) -> None:
    blob = bytes.fromhex(WRAP["blob_hex"])
    expected = {
        "version": bytes([envelope.VERSION]),
        "time_cost": bytes([WRAP["time_cost"]]),
        "memory_kib": WRAP["memory_kib"].to_bytes(4, "big"),
        "parallelism": bytes([WRAP["parallelism"]]),
        "salt": bytes.fromhex(WRAP["salt_hex"]),
        "nonce": bytes.fromhex(WRAP["nonce_hex"]),
    }[parameter]
    assert blob[where] == expected, f"the wrap's {parameter} is not where stored wraps keep it"


def test_key_wrap_opens_reading_costs_from_the_header() -> None:
    """A stored wrap opens: t, m and p are read from their own header bytes (t=3 differs from p=4)."""
    password, secret, purpose, _, _ = wrap_parts()
    assert envelope.unwrap_with_password(password, bytes.fromhex(WRAP["blob_hex"]), purpose) == secret


def test_production_password_costs() -> None:
    from dropbox_server.config import Settings

    settings = Settings.for_data_dir(Path("/nonexistent"))
    # Raised from the vector's 64 MiB to 256 MiB (issue 18); wraps made at the old cost, like the
    # vector's, still open because each wrap carries its own costs.
    assert settings.password_kdf == KdfParams(3, 256 * 1024, 4), "staff password argon2id costs changed"
    assert settings.receipt_kdf == PRODUCTION, "receipt argon2id costs changed"


# --- Purpose strings ----------------------------------------------------------------------


@pytest.mark.parametrize("name", [k for k in PURPOSES if k != "source" and "(" not in k])
def test_purpose_string(name: str) -> None:
    module, attr = name.rsplit(".", 1)
    assert getattr(importlib.import_module(module), attr) == PURPOSES[name].encode()


def test_item_and_file_context_strings() -> None:
    assert item_context("r1", "report") == PURPOSES["item_context('r1', 'report')"].encode()
    assert file_context("r1", "f1") == PURPOSES["file_context('r1', 'f1')"].encode()


def test_signed_reply_messages() -> None:
    """What a reply's signature covers, in both formats (stored replies depend on format 1;
    format 2 adds the reply's position, insider finding F6)."""
    text_sum = envelope.checksum(b"text")
    assert authenticity._message(authenticity.REPLY_PURPOSE, "r1", "2026-12-03", b"text", [b"f"]) == (
        b"tipdrop:v1:signed-reply\x00r1\x002026-12-03\x00" + text_sum + b"\x00f"
    )
    assert authenticity._reply_message("r1", 3, "2026-12-03", b"text", [b"f"]) == (
        b"tipdrop:v2:signed-reply\x00r1\x002026-12-03\x00" + text_sum + b"\x003\x00f"
    )


def test_follow_up_messages() -> None:
    """What a follow-up's Box covers, in both formats (stored follow-ups depend on format 1;
    format 2 adds the follow-up's position) and the format byte a format-2 one starts with."""
    text_sum = envelope.checksum(b"text")
    assert authenticity._message(authenticity.FOLLOW_UP_PURPOSE, "r1", "2026-12-03", b"text", [b"f"]) == (
        b"tipdrop:v1:reporter-follow-up\x00r1\x002026-12-03\x00" + text_sum + b"\x00f"
    )
    assert authenticity._follow_up_message("r1", 3, "2026-12-03", b"text", [b"f"]) == (
        b"tipdrop:v2:reporter-follow-up\x00r1\x002026-12-03\x00" + text_sum + b"\x003\x00f"
    )
    reporter, report = envelope.generate_keypair(), envelope.generate_keypair()
    tag = authenticity.follow_up_authenticator(reporter.private, report.public, "r1", "2026-12-03", b"text", [])(3)
    assert tag[0] == authenticity.FOLLOW_UP_FORMAT_POSITIONED == 2 and tag[1] == envelope.VERSION
    message = authenticity._follow_up_message("r1", 3, "2026-12-03", b"text", [])
    assert envelope.box_authenticator_valid(report.private, reporter.public, message, tag[1:])


def test_every_purpose_string_is_distinct() -> None:
    values = [v for k, v in PURPOSES.items() if k != "source"]
    assert len(set(values)) == len(values)


# --- Digests: fingerprints, checksums, the audit hash, file subkeys -------------------------


@pytest.mark.parametrize(
    ("name", "compute"),
    [
        ("fingerprint_of_0_to_31", lambda: envelope.fingerprint(bytes(range(32)))),
        ("chain_digest_hex", lambda: envelope.chain_digest(bytes(32), b"entry").hex()),
        ("checksum_hex", lambda: envelope.checksum(b"backup body").hex()),
        ("keyed_digest_hex", lambda: envelope.keyed_digest(bytes(range(32)), b"message", b"tipdrop:v1:test").hex()),
        ("file_stream_subkey_hex",
         lambda: filecrypt._file_subkey(bytes(range(32)), filecrypt._FILE_STREAM_PURPOSE).hex()),
        ("file_meta_subkey_hex",
         lambda: filecrypt._file_subkey(bytes(range(32)), filecrypt._FILE_META_PURPOSE).hex()),
    ],
)
def test_digest(name: str, compute: Any) -> None:
    assert compute() == DIGESTS[name], f"{name}: a person= string, size or key use changed"


def test_digests_use_their_person_strings() -> None:
    """Recomputed with hashlib directly, so the person= strings are pinned by name."""
    fp = hashlib.blake2b(bytes(range(32)), digest_size=8, person=b"tipdrop:v1:fpr").hexdigest().upper()
    assert DIGESTS["fingerprint_of_0_to_31"].replace(" ", "") == fp
    audit_hash = hashlib.blake2b(bytes(32) + b"entry", digest_size=32, person=b"tipdrop:v1:audit").hexdigest()
    assert DIGESTS["chain_digest_hex"] == audit_hash
    assert DIGESTS["checksum_hex"] == hashlib.blake2b(b"backup body", digest_size=32, person=b"tipdrop:v1:sum").hexdigest()


def test_file_subkeys_differ() -> None:
    assert DIGESTS["file_stream_subkey_hex"] != DIGESTS["file_meta_subkey_hex"]
    assert DIGESTS["file_stream_subkey_hex"] != bytes(range(32)).hex()


def test_audit_entry_encoding_and_hash() -> None:
    v = DIGESTS["audit_entry"]
    entry = AuditEntry(
        at=v["at"], action=v["action"], staff_id=v["staff_id"], username=v["username"],
        unit_id=v["unit_id"], report_id=v["report_id"], detail=v["detail"],
    )
    assert audit.encode_entry(v["seq"], entry).decode("ascii") == v["encoding"]
    assert audit.link(v["seq"], bytes.fromhex(v["previous_hex"]), entry, None).hex() == v["link_hex"]


# --- Ciphertexts --------------------------------------------------------------------------


def test_encrypt_known_answer() -> None:
    c = CIPHERTEXTS
    key, nonce = bytes.fromhex(c["key_hex"]), bytes.fromhex(c["nonce_hex"])
    blob = envelope._encrypt_from_parts(key, nonce, c["plaintext"].encode(), c["context"].encode())
    assert blob.hex() == c["encrypt_blob_hex"]
    assert envelope.decrypt(key, blob, c["context"].encode()) == c["plaintext"].encode()


def test_stored_sealed_box_opens() -> None:
    c = CIPHERTEXTS
    pair = envelope.keypair_from_seed(bytes.fromhex(c["recipient_seed_hex"]))
    assert envelope.unseal(pair.private, bytes.fromhex(c["sealed_blob_hex"])) == c["sealed_secret"].encode()


def test_stored_file_meta_opens() -> None:
    c = CIPHERTEXTS
    blob = bytes.fromhex(c["file_meta_blob_hex"])
    meta = filecrypt.open_file_meta(bytes.fromhex(c["key_hex"]), blob, c["file_meta_context"].encode())
    assert meta == c["file_meta"].encode()


# --- The file stream ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "actual"),
    [
        ("version", lambda: envelope.VERSION),
        ("header_bytes", lambda: filecrypt.FILE_HEADER_BYTES),
        ("record_plain_bytes", lambda: filecrypt.FILE_RECORD_PLAIN),
        ("record_bytes", lambda: filecrypt.FILE_RECORD_BYTES),
    ],
)
def test_file_stream_parameter(parameter: str, actual: Any) -> None:
    assert actual() == FILE[parameter], f"file stream {parameter} changed"


@pytest.mark.parametrize("records", list(FILE["padded_record_counts"]))
def test_file_padding_record_count(records: str) -> None:
    assert filecrypt.padded_record_count(int(records)) == FILE["padded_record_counts"][records]


def test_stored_file_stream_opens() -> None:
    blob = (HERE / FILE["file"]).read_bytes()
    assert hashlib.sha256(blob).hexdigest() == FILE["sha256"]
    assert blob[0] == FILE["version"]
    opener = filecrypt.FileOpener(bytes.fromhex(FILE["key_hex"]), blob[: FILE["header_bytes"]], FILE["context"].encode())
    out = b"".join(
        opener.pull(blob[i : i + FILE["record_bytes"]]) for i in range(FILE["header_bytes"], len(blob), FILE["record_bytes"])
    )
    opener.close()
    assert out == FILE["plaintext"].encode()


def test_new_file_stream_has_the_stored_layout() -> None:
    sealer = filecrypt.FileSealer(bytes.fromhex(FILE["key_hex"]), FILE["context"].encode())
    assert len(sealer.header) == FILE["header_bytes"] and sealer.header[0] == FILE["version"]
    records = [sealer.push(FILE["plaintext"].encode()), *sealer.finish()]
    assert b"".join(records) != b"" and all(len(r) in (0, FILE["record_bytes"]) for r in records)
    assert sealer.sealed_size == (HERE / FILE["file"]).stat().st_size
