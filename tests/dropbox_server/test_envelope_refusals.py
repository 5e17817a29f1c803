"""Each refusal of the envelope, reached on purpose, with the reason it gives.

Files are forged here with libsodium directly (the stream subkey as the envelope derives
it), to build records a real FileSealer never writes: wrong tags, dirty padding, a bad end.
"""

from __future__ import annotations

import re

import pytest
from nacl import bindings

from dropbox_server import envelope, filecrypt
from dropbox_server.filecrypt import FILE_RECORD_BYTES, FILE_RECORD_PLAIN
from receipt_codes import KdfParams

KEY = bytes(range(32))
CTX = b"tipdrop:v1:file:r1:f1"
MESSAGE = bindings.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
PUSH = bindings.crypto_secretstream_xchacha20poly1305_TAG_PUSH
REKEY = bindings.crypto_secretstream_xchacha20poly1305_TAG_REKEY
FINAL = bindings.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def forge(records: list[tuple[bytes, int]]) -> tuple[bytes, list[bytes]]:
    """A file header and records with the given (plaintext, tag), under the real stream subkey."""
    state = bindings.crypto_secretstream_xchacha20poly1305_state()
    stream_key = filecrypt._file_subkey(KEY, filecrypt._FILE_STREAM_PURPOSE)
    header = bytes([envelope.VERSION]) + bindings.crypto_secretstream_xchacha20poly1305_init_push(state, stream_key)
    ad = bytes([envelope.VERSION]) + CTX
    return header, [bindings.crypto_secretstream_xchacha20poly1305_push(state, p, ad, t) for p, t in records]


def end_record(data: bytes) -> bytes:
    return bindings.sodium_pad(data, FILE_RECORD_PLAIN)


def refused(header: bytes, records: list[bytes], close: bool = True) -> str:
    opener = filecrypt.FileOpener(KEY, header, CTX)
    with pytest.raises(envelope.EnvelopeError) as err:
        for record in records:
            opener.pull(record)
        if close:
            opener.close()
    return str(err.value)


def test_a_forged_file_in_the_right_shape_opens() -> None:
    """The control: the forging helper writes what FileSealer writes."""
    header, records = forge([(end_record(b"hello"), FINAL)])
    opener = filecrypt.FileOpener(KEY, header, CTX)
    assert opener.pull(records[0]) == b"hello"
    opener.close()


def test_short_header() -> None:
    with pytest.raises(envelope.EnvelopeError, match=r"^file is truncated$"):
        filecrypt.FileOpener(KEY, bytes(10), CTX)


def test_short_record() -> None:
    header, records = forge([(end_record(b"x"), FINAL)])
    assert refused(header, [records[0][:-1]]) == "file is truncated"


def test_altered_record() -> None:
    header, records = forge([(end_record(b"x"), FINAL)])
    flipped = bytes([records[0][0] ^ 1]) + records[0][1:]
    assert refused(header, [flipped]) == "file is damaged or altered: a part of it did not open"


def test_data_after_the_end() -> None:
    header, records = forge([(end_record(b"x"), FINAL), (bytes(FILE_RECORD_PLAIN), MESSAGE)])
    assert refused(header, records) == "file has data after its end"


def test_missing_end() -> None:
    header, records = forge([(bytes(FILE_RECORD_PLAIN), MESSAGE)])
    assert refused(header, records) == "file is truncated: its end is missing"


def test_unknown_tag() -> None:
    header, records = forge([(end_record(b"x"), REKEY)])
    assert refused(header, records) == "file has an unknown record tag"


def test_end_record_without_padding() -> None:
    header, records = forge([(bytes(FILE_RECORD_PLAIN), FINAL)])
    assert refused(header, records) == "file end record is damaged"


@pytest.mark.parametrize(
    ("padding", "tag"),
    [(b"\x01" + bytes(FILE_RECORD_PLAIN - 1), FINAL), (bytes(FILE_RECORD_PLAIN), PUSH)],
    ids=["padding-not-zero", "padding-with-push-tag"],
)
def test_dirty_padding_record(padding: bytes, tag: int) -> None:
    header, records = forge([(end_record(b"x"), PUSH), (padding, tag)])
    assert refused(header, records) == "file padding is damaged"


def test_clean_padding_records_open() -> None:
    header, records = forge([(end_record(b"x"), PUSH), (bytes(FILE_RECORD_PLAIN), MESSAGE), (bytes(FILE_RECORD_PLAIN), FINAL)])
    opener = filecrypt.FileOpener(KEY, header, CTX)
    assert [opener.pull(r) for r in records] == [b"x", b"", b""]
    assert opener.finished
    opener.close()


def test_a_file_with_several_padding_records_round_trips() -> None:
    """33 records pad to 36: the end record is PUSH, two MESSAGE padding records, then FINAL."""
    data = bytes(i % 251 for i in range(32 * FILE_RECORD_PLAIN + 1))
    sealer = filecrypt.FileSealer(KEY, CTX)
    assert sealer.plaintext_bytes == 0
    blob = sealer.header + sealer.push(data[:1000]) + sealer.push(data[1000:]) + b"".join(sealer.finish())
    assert sealer.plaintext_bytes == len(data)
    assert sealer.records == filecrypt.padded_record_count(33) == 36
    opener = filecrypt.FileOpener(KEY, blob[: filecrypt.FILE_HEADER_BYTES], CTX)
    body = blob[filecrypt.FILE_HEADER_BYTES :]
    out = b"".join(opener.pull(body[i : i + FILE_RECORD_BYTES]) for i in range(0, len(body), FILE_RECORD_BYTES))
    opener.close()
    assert out == data


def test_a_sealed_file_takes_no_more() -> None:
    sealer = filecrypt.FileSealer(KEY, CTX)
    list(sealer.finish())
    with pytest.raises(ValueError, match=r"^this file is already sealed$"):
        sealer.push(b"more")
    with pytest.raises(ValueError, match=r"^this file is already sealed$"):
        list(sealer.finish())


def test_keyed_digest_uses_the_first_16_bytes_of_a_long_purpose() -> None:
    long = b"tipdrop:v1:a-long-purpose"
    assert envelope.keyed_digest(KEY, b"m", long) == envelope.keyed_digest(KEY, b"m", long[:16])
    assert envelope.keyed_digest(KEY, b"m", long) != envelope.keyed_digest(KEY, b"m", long[:15])


@pytest.mark.parametrize(
    ("blob", "reason"),
    [(b"", "ciphertext is empty"), (b"\x02" + bytes(60), "unknown ciphertext version 2"), (b"\x01" + bytes(39), "ciphertext is truncated"),
     (b"\x01" + bytes(40), "ciphertext did not open")],
)
def test_decrypt_refusal_reasons(blob: bytes, reason: str) -> None:
    with pytest.raises(envelope.EnvelopeError, match=f"^{re.escape(reason)}$"):
        envelope.decrypt(KEY, blob, b"ctx")


def test_unseal_and_unwrap_refusal_reasons() -> None:
    pair = envelope.generate_keypair()
    with pytest.raises(envelope.EnvelopeError, match=r"^sealed box did not open$"):
        envelope.unseal(pair.private, envelope.seal(envelope.generate_keypair().public, b"x"))
    with pytest.raises(envelope.EnvelopeError, match=r"^ciphertext did not open$"):
        envelope.decrypt(KEY, envelope.encrypt(KEY, b"x", b"a"), b"b")
    with pytest.raises(envelope.EnvelopeError, match=r"^wrapped secret is truncated$"):
        envelope.unwrap_with_password("pw", b"\x01" + bytes(30), b"p")
    bad_params = b"\x01\x00" + bytes(4) + b"\x01" + bytes(80)
    with pytest.raises(envelope.EnvelopeError, match=r"^wrapped secret has bad parameters$"):
        envelope.unwrap_with_password("pw", bad_params, b"p")


def test_the_shortest_wrap_is_not_truncated() -> None:
    """Header (7) + salt (16) + SecretBox nonce (24) + MAC (16) = 63 bytes: read, then refused as a wrong password."""
    blob = envelope.wrap_with_password("pw", b"", KdfParams(1, 8, 1), b"p")
    assert len(blob) == 63
    assert envelope.unwrap_with_password("pw", blob, b"p") == b""
    with pytest.raises(envelope.WrongPassword, match=r"^wrong password$"):
        envelope.unwrap_with_password("other", blob, b"p")
    with pytest.raises(envelope.EnvelopeError, match=r"^wrapped secret is truncated$"):
        envelope.unwrap_with_password("pw", blob[:62], b"p")


def test_the_time_cost_cap_is_inclusive() -> None:
    blob = envelope.wrap_with_password("pw", b"x", KdfParams(16, 8, 1), b"p")
    assert envelope.unwrap_with_password("pw", blob, b"p") == b"x"
    too_slow = bytearray(blob)
    too_slow[1] = 17
    with pytest.raises(envelope.EnvelopeError, match=r"^wrapped secret asks for argon2id costs beyond what this service uses$"):
        envelope.unwrap_with_password("pw", bytes(too_slow), b"p")
