"""File encryption: libsodium secretstream (XChaCha20-Poly1305) in fixed-size, padded records.

Split from the envelope so item and key wrapping and streaming file ciphertext each have one
module; with envelope.py and receipt_codes/ it is the only code that calls PyNaCl.
"""

from __future__ import annotations

from collections.abc import Iterator

from nacl import bindings
from nacl.exceptions import CryptoError

from dropbox_server.envelope import (
    VERSION,
    EnvelopeError,
    check_version,
    decrypt,
    encrypt,
    keyed_digest,
    secret_equal,
)

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
        check_version(header)
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
