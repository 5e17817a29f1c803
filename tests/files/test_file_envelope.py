"""Files in the envelope: secretstream records, padding, and every way a file can be wrong."""

from __future__ import annotations

import secrets

import pytest

from dropbox_server import envelope, filecrypt
from dropbox_server.filecrypt import FILE_HEADER_BYTES, FILE_RECORD_BYTES, FILE_RECORD_PLAIN

KEY = bytes(range(32))
CTX = b"tipdrop:v1:file:abc:f1"


def seal(data: bytes, key: bytes = KEY, ctx: bytes = CTX, piece: int = 10_000) -> bytes:
    sealer = filecrypt.FileSealer(key, ctx)
    out = bytearray(sealer.header)
    for i in range(0, len(data), piece):
        out += sealer.push(data[i : i + piece])
    for record in sealer.finish():
        out += record
    assert len(out) == sealer.sealed_size
    return bytes(out)


def open_all(blob: bytes, key: bytes = KEY, ctx: bytes = CTX) -> bytes:
    opener = filecrypt.FileOpener(key, blob[:FILE_HEADER_BYTES], ctx)
    out = bytearray()
    for i in range(FILE_HEADER_BYTES, len(blob), FILE_RECORD_BYTES):
        out += opener.pull(blob[i : i + FILE_RECORD_BYTES])
    opener.close()
    return bytes(out)


SIZES = [0, 1, FILE_RECORD_PLAIN - 1, FILE_RECORD_PLAIN, FILE_RECORD_PLAIN + 1, 3 * FILE_RECORD_PLAIN + 7]


@pytest.mark.parametrize("size", SIZES)
def test_round_trip(size: int) -> None:
    data = secrets.token_bytes(size)
    blob = seal(data)
    assert blob[0] == envelope.VERSION
    assert (len(blob) - FILE_HEADER_BYTES) % FILE_RECORD_BYTES == 0
    assert open_all(blob) == data


def test_pieces_of_any_size_give_the_same_plaintext() -> None:
    data = secrets.token_bytes(2 * FILE_RECORD_PLAIN + 5)
    for piece in (1, 4096, FILE_RECORD_PLAIN, 10 * FILE_RECORD_PLAIN):
        assert open_all(seal(data, piece=piece)) == data


@pytest.mark.parametrize(
    ("records", "padded"), [(1, 1), (2, 2), (3, 3), (8, 8), (9, 10), (17, 18), (8000, 8192)]
)
def test_padme_record_counts(records: int, padded: int) -> None:
    assert filecrypt.padded_record_count(records) == padded


def test_padding_overhead_is_bounded_and_sizes_collapse() -> None:
    for n in range(1, 20_000, 37):
        p = filecrypt.padded_record_count(n)
        assert n <= p <= n * 1.125 + 1
    # Files of different sizes in the same bucket look the same on disk.
    a = seal(secrets.token_bytes(8 * FILE_RECORD_PLAIN + 10))
    b = seal(secrets.token_bytes(9 * FILE_RECORD_PLAIN + 10))
    assert len(a) == len(b)


def test_padding_records_follow_when_needed_and_still_open() -> None:
    data = secrets.token_bytes(8 * FILE_RECORD_PLAIN + 10)  # 9 records -> padded to 10
    blob = seal(data)
    assert len(blob) == filecrypt.sealed_file_size(10)
    assert open_all(blob) == data


def test_every_single_byte_flip_is_refused() -> None:
    data = secrets.token_bytes(FILE_RECORD_PLAIN + 100)
    blob = seal(data)
    for pos in (0, 1, 20, FILE_HEADER_BYTES, FILE_HEADER_BYTES + 5000, len(blob) - 1):
        bad = bytearray(blob)
        bad[pos] ^= 0x01
        with pytest.raises(envelope.EnvelopeError):
            open_all(bytes(bad))


def test_truncated_file_is_refused() -> None:
    blob = seal(secrets.token_bytes(3 * FILE_RECORD_PLAIN))
    with pytest.raises(envelope.EnvelopeError, match="truncated"):
        open_all(blob[:-FILE_RECORD_BYTES])
    with pytest.raises(envelope.EnvelopeError, match="truncated"):
        open_all(blob[:-1])
    with pytest.raises(envelope.EnvelopeError, match="truncated"):
        filecrypt.FileOpener(KEY, blob[:10], CTX)


def test_reordered_repeated_or_extra_records_are_refused() -> None:
    blob = seal(secrets.token_bytes(3 * FILE_RECORD_PLAIN + 1))
    head, body = blob[:FILE_HEADER_BYTES], blob[FILE_HEADER_BYTES:]
    recs = [body[i : i + FILE_RECORD_BYTES] for i in range(0, len(body), FILE_RECORD_BYTES)]
    swapped = head + recs[1] + recs[0] + b"".join(recs[2:])
    repeated = head + recs[0] + b"".join(recs)
    extra = blob + recs[-1]
    for bad in (swapped, repeated, extra):
        with pytest.raises(envelope.EnvelopeError):
            open_all(bad)


def test_wrong_key_context_or_version_is_refused() -> None:
    blob = seal(b"evidence")
    with pytest.raises(envelope.EnvelopeError):
        open_all(blob, key=bytes(32))
    with pytest.raises(envelope.EnvelopeError):
        open_all(blob, ctx=b"tipdrop:v1:file:abc:f2")
    with pytest.raises(envelope.EnvelopeError, match="version"):
        open_all(b"\x02" + blob[1:])


def test_record_from_another_file_with_the_same_key_is_refused() -> None:
    one, two = seal(b"a" * 100), seal(b"b" * 100)
    with pytest.raises(envelope.EnvelopeError):
        open_all(one[:FILE_HEADER_BYTES] + two[FILE_HEADER_BYTES:])


def test_no_plaintext_in_the_ciphertext() -> None:
    marker = b"MARKERFILEBODYZq9"
    blob = seal(marker * 5000)
    assert marker not in blob


def test_meta_round_trip_and_binding() -> None:
    blob = filecrypt.seal_file_meta(KEY, b'{"name": "x.jpg"}', CTX)
    assert filecrypt.open_file_meta(KEY, blob, CTX) == b'{"name": "x.jpg"}'
    with pytest.raises(envelope.EnvelopeError):
        filecrypt.open_file_meta(KEY, blob, CTX + b"x")
    # The metadata key is not the stream key: a meta blob does not open as a plain item.
    with pytest.raises(envelope.EnvelopeError):
        envelope.decrypt(KEY, blob, CTX + b":meta")


def test_sealer_refuses_use_after_finish() -> None:
    sealer = filecrypt.FileSealer(KEY, CTX)
    list(sealer.finish())
    with pytest.raises(ValueError):
        sealer.push(b"x")
