"""The envelope: round trips, pinned known answers, and every way a ciphertext can be wrong."""

from __future__ import annotations

import pytest

from dropbox_server import envelope
from receipt_codes import KdfParams

CHEAP = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
KEY = bytes(range(32))
NONCE = bytes(range(24))


def test_known_answer_vector() -> None:
    blob = envelope._encrypt_from_parts(KEY, NONCE, b"hello", b"ctx")
    assert blob[0] == envelope.VERSION
    assert blob[1:25] == NONCE
    assert blob.hex()[-32:] == KNOWN_TAG
    assert envelope.decrypt(KEY, blob, b"ctx") == b"hello"


@pytest.mark.parametrize("size", [0, 1, 510, 511, 512, 65535, 65536, 200_000])
def test_round_trip_and_padding(size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    blob = envelope.encrypt(KEY, data, b"ctx")
    assert envelope.decrypt(KEY, blob, b"ctx") == data
    body = len(blob) - 1 - 24 - 16
    assert body >= 512 and (body & (body - 1) == 0 or body % 65536 == 0)


def test_lengths_are_bucketed() -> None:
    assert len(envelope.encrypt(KEY, b"a", b"c")) == len(envelope.encrypt(KEY, b"a" * 400, b"c"))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b[:-1],
        lambda b: b[:20],
        lambda b: b"",
        lambda b: bytes([b[0] ^ 1]) + b[1:],
        lambda b: b[:30] + bytes([b[30] ^ 0x80]) + b[31:],
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),
    ],
    ids=["truncated-tag", "truncated", "empty", "wrong-version", "bit-flip", "tag-flip"],
)
def test_damaged_ciphertext_fails_cleanly(mangle) -> None:
    blob = envelope.encrypt(KEY, b"secret", b"ctx")
    with pytest.raises(envelope.EnvelopeError):
        envelope.decrypt(KEY, mangle(blob), b"ctx")


def test_wrong_context_or_key_fails() -> None:
    blob = envelope.encrypt(KEY, b"secret", b"report-a:report")
    with pytest.raises(envelope.EnvelopeError):
        envelope.decrypt(KEY, blob, b"report-b:report")
    with pytest.raises(envelope.EnvelopeError):
        envelope.decrypt(bytes(32), blob, b"report-a:report")


def test_sealed_boxes() -> None:
    pair = envelope.generate_keypair()
    other = envelope.generate_keypair()
    blob = envelope.seal(pair.public, b"content key")
    assert envelope.unseal(pair.private, blob) == b"content key"
    with pytest.raises(envelope.EnvelopeError):
        envelope.unseal(other.private, blob)
    with pytest.raises(envelope.EnvelopeError):
        envelope.unseal(pair.private, bytes([9]) + blob[1:])
    with pytest.raises(envelope.EnvelopeError):
        envelope.unseal(pair.private, blob[:-3])


def test_keypair_from_seed_is_deterministic() -> None:
    a = envelope.keypair_from_seed(bytes(32))
    b = envelope.keypair_from_seed(bytes(32))
    assert a.public == b.public and a.private == b.private
    assert envelope.keypair_from_seed(bytes([1]) * 32).public != a.public
    assert envelope.public_key_of(a.private) == a.public


def test_password_wrap() -> None:
    blob = envelope.wrap_with_password("hunter22", b"private", CHEAP, b"purpose")
    assert envelope.unwrap_with_password("hunter22", blob, b"purpose") == b"private"
    with pytest.raises(envelope.WrongPassword):
        envelope.unwrap_with_password("hunter23", blob, b"purpose")
    with pytest.raises(envelope.WrongPassword):
        envelope.unwrap_with_password("hunter22", blob, b"other purpose")
    with pytest.raises(envelope.EnvelopeError):
        envelope.unwrap_with_password("hunter22", blob[:10], b"purpose")


def test_wrap_records_its_costs() -> None:
    blob = envelope.wrap_with_password("pw", b"x", KdfParams(2, 16 * 1024, 1), b"p")
    assert blob[1] == 2 and int.from_bytes(blob[2:6], "big") == 16 * 1024 and blob[6] == 1


def test_fingerprint_is_short_and_stable() -> None:
    fp = envelope.fingerprint(bytes(32))
    assert fp == envelope.fingerprint(bytes(32))
    assert len(fp.split()) == 4
    assert fp != envelope.fingerprint(bytes([1]) * 32)


def test_key_pair_repr_hides_private_key() -> None:
    pair = envelope.generate_keypair()
    assert pair.private.hex() not in repr(pair)


# XChaCha20-Poly1305 over the padded text with version+context as associated data.
KNOWN_TAG = "9e95b806c9ed78112ec34b54821b267e"


def test_wrap_with_absurd_costs_is_refused_before_deriving() -> None:
    blob = bytearray(envelope.wrap_with_password("pw", b"x", CHEAP, b"p"))
    blob[2:6] = (64 * 1024 * 1024).to_bytes(4, "big")  # 64 GiB of memory
    with pytest.raises(envelope.EnvelopeError, match="costs"):
        envelope.unwrap_with_password("pw", bytes(blob), b"p")
    blob = bytearray(envelope.wrap_with_password("pw", b"x", CHEAP, b"p"))
    blob[1] = 200
    with pytest.raises(envelope.EnvelopeError, match="costs"):
        envelope.unwrap_with_password("pw", bytes(blob), b"p")
