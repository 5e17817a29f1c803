"""Enrolment codes and the MACs that bind a pending enrolment to the outside seed and its audit entry.

Security: the code is random (120 bits), shown once to security staff and stored only as a
keyed hash under a key made from the outside seed (audit.key, not in the database), so a
database copy can neither read nor test codes. Each pending row carries a MAC under another
key made from that seed, over the request and the hash of its audit entry, and, once the
newcomer has redeemed it, a second MAC over their key: whoever can write the database but
does not hold the seed cannot plant a request, nor swap the key of a real one.
"""

from __future__ import annotations

import base64
import secrets

from dropbox_server import envelope
from dropbox_server.store.enrolments import PendingEnrolment, Redemption

CODE_PURPOSE = b"tipdrop:v1:enrolment-code"
MAC_PURPOSE = b"tipdrop:v1:pending-enrolment"
_CODE_BYTES = 15  # 120 bits: 24 base32 characters
# Characters people misread for base32 ones (base32 has no 0, 1, 8 or 9).
_MISREAD = str.maketrans({"0": "O", "1": "I", "8": "B"})


def new_code() -> str:
    """A fresh enrolment code: 24 base32 characters in groups of four, e.g. `ABCD-EFGH-...`."""
    raw = base64.b32encode(secrets.token_bytes(_CODE_BYTES)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_code(typed: str) -> str:
    """The code as typed, without spaces or dashes, upper case, common misreadings mended."""
    return "".join(c for c in typed.upper() if c.isalnum()).translate(_MISREAD)[:64]


def code_hash(seed: bytes, code: str) -> bytes:
    """The stored form of a code: a keyed hash (the code is never stored)."""
    key = envelope.derive_key(seed, CODE_PURPOSE)
    return envelope.keyed_digest(key, normalise_code(code).encode("ascii"), b"tipdrop:v1:code")


def _encode(*parts: bytes | str | int) -> bytes:
    """Length-prefixed fields: no field's content can shift into the next."""
    out = bytearray()
    for part in parts:
        raw = part.to_bytes(8, "big") if isinstance(part, int) else (
            part.encode("utf-8") if isinstance(part, str) else part
        )
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def _mac(seed: bytes, message: bytes) -> bytes:
    return envelope.keyed_digest(envelope.derive_key(seed, MAC_PURPOSE), message, b"tipdrop:v1:enrol")


def request_mac(seed: bytes, p: PendingEnrolment, audit_seq: int, audit_hash: bytes) -> bytes:
    """The MAC of a request, bound to the audit entry that records it.

    Security: a re-key request also binds the account it re-keys, so a database writer cannot
    turn a newcomer's request into a new key for someone else's account (or the reverse).
    """
    kind: tuple[bytes | int, ...] = (b"request",) if p.rekey_of is None else (b"rekey", p.rekey_of)
    return _mac(seed, _encode(
        *kind, p.username, p.unit_id, p.role, p.code_hash, p.requested_by,
        p.requested_day, p.expires_day, audit_seq, audit_hash,
    ))


def key_mac(seed: bytes, p: PendingEnrolment, r: Redemption) -> bytes:
    """The MAC of the newcomer's key, bound to the request's own MAC."""
    return _mac(seed, _encode(
        b"key", p.request_mac, r.public_key, r.wrapped_private_key, r.totp_secret_sealed, r.day,
    ))


def intact(seed: bytes, p: PendingEnrolment, audit_hash: bytes | None) -> bool:
    """Whether the row is exactly what this server wrote (request and, if redeemed, key)."""
    if audit_hash is None:
        return False
    if not envelope.secret_equal(p.request_mac, request_mac(seed, p, p.audit_seq, audit_hash)):
        return False
    if p.public_key is None:
        return p.key_mac is None and p.wrapped_private_key is None and p.totp_secret_sealed is None
    if None in (p.wrapped_private_key, p.totp_secret_sealed, p.redeemed_day, p.key_mac):
        return False
    r = Redemption(p.public_key, p.wrapped_private_key or b"", p.totp_secret_sealed or b"",
                   p.redeemed_day or "", b"")
    return envelope.secret_equal(p.key_mac or b"", key_mac(seed, p, r))


def normalise_fingerprint(typed: str) -> bytes:
    """A fingerprint as typed or read out: hex digits only, upper case."""
    return "".join(c for c in typed.upper() if c in "0123456789ABCDEF")[:64].encode("ascii")


def fingerprint_matches(public_key: bytes, typed: str) -> bool:
    """Whether the approver typed exactly this key's fingerprint (compared in constant time)."""
    want = normalise_fingerprint(envelope.fingerprint(public_key))
    return envelope.secret_equal(want, normalise_fingerprint(typed))
