"""Onion service keys: address derivation (known answers), persistence and refusal of bad files."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import nacl.bindings
import pytest

from onion_config import OnionKeyError, OnionServiceKey, load_or_create_service_key
from onion_config.onion_keys import (
    KEY_PREFIX,
    generate_service_key,
    is_onion_address,
    load_service_key,
    onion_address,
    write_secret_file,
)

# RFC 8032 section 7.1, TEST 1: secret key (seed) and its public key.
RFC_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def tor_blob(seed: bytes) -> str:
    """Tor's expanded secret key for an ed25519 seed, as ADD_ONION takes it."""
    expanded = bytearray(hashlib.sha512(seed).digest())
    expanded[0] &= 248
    expanded[31] &= 127
    expanded[31] |= 64
    return KEY_PREFIX + base64.b64encode(bytes(expanded)).decode()


# Produced by tor 0.4 itself on the private loopback network: `ADD_ONION NEW:ED25519-V3`
# answered this PrivateKey and ServiceID (tests/onion/test_private_network.py::
# test_tor_agrees_with_our_address_derivation prints a fresh pair with -s).
TOR_VECTOR = (
    "ED25519-V3:uDaXwTZ1sSqxqk+2KGmkhw0VG7EX9aOJjb88GNpeYVOL6baKefXVUkyrXYRTU3XZvaL4WTt4O/mbFpekmDF5gQ==",
    "oswt2po5etzex5holczwhtzgjrrif53a7swhq4f4g23aqnn7ebqqrtyd",
)


def test_address_of_a_key_tor_generated() -> None:
    blob, address = TOR_VECTOR
    assert OnionServiceKey.from_blob(blob).address == address
    raw = bytearray(base64.b64decode(blob[len(KEY_PREFIX) :]))
    raw[40] ^= 1  # the hash prefix plays no part in the address
    assert OnionServiceKey.from_blob(KEY_PREFIX + base64.b64encode(bytes(raw)).decode()).address == address
    raw[1] ^= 1  # one bit of the scalar: another address
    assert OnionServiceKey.from_blob(KEY_PREFIX + base64.b64encode(bytes(raw)).decode()).address != address


def test_no_hand_written_curve_arithmetic_is_left() -> None:
    """The address comes from libsodium's constant-time scalar multiplication only."""
    import onion_config.onion_keys as module

    source = Path(module.__file__).read_text("utf-8")
    assert "2**255 - 19" not in source and "_scalar_base" not in source
    assert "crypto_scalarmult_ed25519_base_noclamp" in source


def test_address_of_rfc8032_key() -> None:
    key = OnionServiceKey.from_blob(tor_blob(RFC_SEED))
    assert key.address == onion_address(RFC_PUBLIC)
    assert key.hostname == key.address + ".onion"
    assert is_onion_address(key.hostname)


def test_onion_address_format_from_rend_spec() -> None:
    # onion_address = base32(PUBKEY | CHECKSUM | VERSION), lower case, 56 characters.
    address = onion_address(RFC_PUBLIC)
    raw = base64.b32decode(address.upper())
    checksum = hashlib.sha3_256(b".onion checksum" + RFC_PUBLIC + b"\x03").digest()[:2]
    assert raw == RFC_PUBLIC + checksum + b"\x03"
    assert len(address) == 56 and address == address.lower()


@pytest.mark.parametrize("seed", [os.urandom(32) for _ in range(5)])
def test_address_matches_libsodium_public_key(seed: bytes) -> None:
    public, _ = nacl.bindings.crypto_sign_seed_keypair(seed)
    assert OnionServiceKey.from_blob(tor_blob(seed)).address == onion_address(public)


def test_generated_keys_are_fresh_and_valid() -> None:
    first, second = generate_service_key(), generate_service_key()
    assert first.address != second.address
    assert OnionServiceKey.from_blob(first.blob) == first
    assert first.blob not in repr(first)


@pytest.mark.parametrize(
    "bad",
    [
        "ED25519-V3:",
        "RSA1024:" + base64.b64encode(bytes(64)).decode(),
        KEY_PREFIX + base64.b64encode(bytes(63)).decode(),
        KEY_PREFIX + "not base64!",
        KEY_PREFIX + base64.b64encode(bytes([1]) + bytes(30) + bytes([0x40]) + bytes(32)).decode(),
        KEY_PREFIX + base64.b64encode(bytes(31) + bytes([0xC0]) + bytes(32)).decode(),
    ],
)
def test_malformed_blobs_are_refused(bad: str) -> None:
    with pytest.raises(OnionKeyError):
        OnionServiceKey.from_blob(bad)


def test_is_onion_address_rejects_bad_checksums_and_lengths() -> None:
    good = onion_address(RFC_PUBLIC)
    flipped = ("b" if good[10] == "a" else "a").join((good[:10], good[11:]))
    assert not is_onion_address(flipped)
    assert not is_onion_address(good[:-1])
    assert not is_onion_address(good[:-1] + "1")
    assert not is_onion_address("")


def test_key_persists_with_owner_only_mode(tmp_path: Path) -> None:
    path = tmp_path / "onion" / "reporter.key"
    created = load_or_create_service_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert load_or_create_service_key(path) == created
    assert load_service_key(path) == created
    assert path.read_text().strip() == created.blob
    assert [p.name for p in path.parent.iterdir()] == ["reporter.key"]  # no temp file left


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reporter.key"
    load_or_create_service_key(path)
    path.chmod(0o644)
    with pytest.raises(OnionKeyError, match="chmod 600"):
        load_service_key(path)


def test_corrupt_key_file_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "reporter.key"
    write_secret_file(path, "ED25519-V3:AAAA\n")
    with pytest.raises(OnionKeyError, match=r"reporter\.key"):
        load_or_create_service_key(path)


def test_missing_key_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(OnionKeyError, match="does not exist"):
        load_service_key(tmp_path / "nope.key")


def test_secret_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k"
    write_secret_file(path, "one")
    with pytest.raises(FileExistsError):
        write_secret_file(path, "two")
    assert path.read_text() == "one"
