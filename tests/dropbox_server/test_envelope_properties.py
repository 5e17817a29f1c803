"""Properties of the envelope that must hold for every input, not just the examples we thought of.

Hypothesis runs derandomized, so every run tries the same cases (no flaky tests).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dropbox_server import envelope, filecrypt
from receipt_codes import KdfParams

CHEAP = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
KEY = bytes(range(32))
NONCE_END = 1 + 24
# scripts/mutation.sh lowers this: it runs these tests once per mutant.
EXAMPLES = int(os.environ.get("TIPDROP_HYPOTHESIS_EXAMPLES", "150"))
PROPERTY = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_nonces_and_keys_never_repeat_across_10000_seals() -> None:
    recipient = envelope.generate_keypair()
    nonces, keys, sealed = set(), set(), set()
    for n in range(10_000):
        blob, sealed_key, key = envelope.seal_new_item(recipient.public, b"item", b"ctx:%d" % n)
        nonces.add(blob[1:NONCE_END])
        keys.add(key)
        sealed.add(sealed_key)
    assert len(nonces) == len(keys) == len(sealed) == 10_000
    assert bytes(32) not in keys and bytes(24) not in nonces
    assert envelope.unseal(recipient.private, sealed_key) == key
    assert envelope.decrypt(key, blob, b"ctx:9999") == b"item"


def test_nonces_and_keys_differ_across_200_seals() -> None:
    """The same property, small enough to run once per mutant in scripts/mutation.sh."""
    recipient = envelope.generate_keypair()
    seals = [envelope.seal_new_item(recipient.public, b"item", b"ctx") for _ in range(200)]
    assert len({blob[1:NONCE_END] for blob, _, _ in seals}) == len({key for _, _, key in seals}) == 200


def test_random_keys_and_key_pairs_are_fresh() -> None:
    assert len({envelope.random_key() for _ in range(1000)}) == 1000
    assert all(len(envelope.random_key()) == envelope.KEY_BYTES for _ in range(10))
    assert len({envelope.generate_keypair().private for _ in range(100)}) == 100


def test_password_wraps_never_reuse_a_salt_or_nonce() -> None:
    blobs = [envelope.wrap_with_password("same password", b"same secret", CHEAP, b"p") for _ in range(20)]
    salts = {b[7:23] for b in blobs}
    nonces = {b[23:47] for b in blobs}
    assert len(salts) == len(nonces) == 20
    assert bytes(16) not in salts and bytes(24) not in nonces


@PROPERTY
@given(plaintext=st.binary(max_size=2000), context=st.binary(max_size=40), data=st.data())
def test_any_truncation_is_refused(plaintext: bytes, context: bytes, data: st.DataObject) -> None:
    blob = envelope.encrypt(KEY, plaintext, context)
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(envelope.EnvelopeError):
        envelope.decrypt(KEY, blob[:cut], context)


@PROPERTY
@given(plaintext=st.binary(max_size=2000), context=st.binary(max_size=40), data=st.data())
def test_any_bit_flip_is_refused(plaintext: bytes, context: bytes, data: st.DataObject) -> None:
    blob = bytearray(envelope.encrypt(KEY, plaintext, context))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(envelope.EnvelopeError):
        envelope.decrypt(KEY, bytes(blob), context)


@PROPERTY
@given(plaintext=st.binary(min_size=1, max_size=2000), data=st.data())
def test_any_reordering_is_refused(plaintext: bytes, data: st.DataObject) -> None:
    blob = envelope.encrypt(KEY, plaintext, b"ctx")
    i = data.draw(st.integers(1, len(blob) - 2))
    j = data.draw(st.integers(i + 1, len(blob) - 1))
    swapped = blob[:i] + blob[j : j + 1] + blob[i + 1 : j] + blob[i : i + 1] + blob[j + 1 :]
    if swapped != blob:
        with pytest.raises(envelope.EnvelopeError):
            envelope.decrypt(KEY, swapped, b"ctx")


@PROPERTY
@given(plaintext=st.binary(max_size=600), context=st.binary(max_size=40), other=st.binary(max_size=40))
def test_other_associated_data_is_refused(plaintext: bytes, context: bytes, other: bytes) -> None:
    blob = envelope.encrypt(KEY, plaintext, context)
    assert envelope.decrypt(KEY, blob, context) == plaintext
    if other != context:
        with pytest.raises(envelope.EnvelopeError):
            envelope.decrypt(KEY, blob, other)


def test_items_swapped_between_reports_or_kinds_are_refused() -> None:
    a = envelope.encrypt(KEY, b"report text", b"tipdrop:v1:item:r1:report")
    b = envelope.encrypt(KEY, b"contact", b"tipdrop:v1:item:r1:contact")
    with pytest.raises(envelope.EnvelopeError):
        envelope.decrypt(KEY, a, b"tipdrop:v1:item:r2:report")
    with pytest.raises(envelope.EnvelopeError):
        envelope.decrypt(KEY, b, b"tipdrop:v1:item:r1:report")


@PROPERTY
@given(a=st.integers(0, 200_000), b=st.integers(0, 200_000))
def test_padding_hides_lengths_within_a_bucket(a: int, b: int) -> None:
    len_a = len(envelope._encrypt_from_parts(KEY, bytes(24), bytes(a), b""))
    len_b = len(envelope._encrypt_from_parts(KEY, bytes(24), bytes(b), b""))
    # The stored size is header + nonce + tag + the padded size; equal buckets, equal sizes.
    assert len_a == 1 + 24 + 16 + padded(a)
    assert (len_a == len_b) == (padded(a) == padded(b))


def padded(n: int) -> int:
    """The padded size as documented: powers of two from 512 bytes, then multiples of 64 KiB."""
    size = n + 1  # ISO/IEC 7816-4 padding always adds at least one byte
    if size <= 64 * 1024:
        bucket = 512
        while bucket < size:
            bucket *= 2
        return bucket
    return -(-size // (64 * 1024)) * 64 * 1024


@pytest.mark.parametrize(("length", "stored"), [(0, 512), (511, 512), (512, 1024), (65535, 65536), (65536, 131072)])
def test_bucket_edges(length: int, stored: int) -> None:
    assert len(envelope.encrypt(KEY, bytes(length), b"")) == 1 + 24 + 16 + stored


@settings(max_examples=20, derandomize=True, deadline=None)
@given(order=st.permutations(range(3)))
def test_file_records_reordered_are_refused(order: list[int]) -> None:
    sealer = filecrypt.FileSealer(KEY, b"file-ctx")
    records = [sealer.push(bytes(filecrypt.FILE_RECORD_PLAIN * 2 + 5)), *sealer.finish()]
    chunks = [r for blob in records for r in split_records(blob)]
    assert len(chunks) == 3
    opener = filecrypt.FileOpener(KEY, sealer.header, b"file-ctx")
    if order == [0, 1, 2]:
        assert b"".join(opener.pull(chunks[i]) for i in order) == bytes(filecrypt.FILE_RECORD_PLAIN * 2 + 5)
        opener.close()
        return
    with pytest.raises(envelope.EnvelopeError):
        for i in order:
            opener.pull(chunks[i])
        opener.close()


def split_records(blob: bytes) -> list[bytes]:
    size = filecrypt.FILE_RECORD_BYTES
    return [blob[i : i + size] for i in range(0, len(blob), size)]
