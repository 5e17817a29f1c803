"""Onion-service keys: create, persist (0600) and load ed25519-v3 keys; derive addresses.

A key is stored exactly as tor's ADD_ONION takes it: ``ED25519-V3:<base64>``
of tor's 64-byte expanded secret key (clamped scalar || hash prefix). We
derive the ``.onion`` address ourselves so the command line can show an
address, and write client-auth lines for it, without a running tor; tor's
answer to ADD_ONION is checked against it every time we publish.

Security: key files are created 0600 in a 0700 directory, written atomically
and fsynced, and refused when group- or world-accessible; the secret never
appears in a repr, a log line or an exception message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nacl.bindings

from onion_config.errors import OnionKeyError

KEY_PREFIX = "ED25519-V3:"
_VERSION = b"\x03"


def _public_key(scalar: bytes) -> bytes:
    """The ed25519 public key (scalar x base point) of tor's clamped secret scalar.

    Security: libsodium's constant-time scalar multiplication. Tor's key is the expanded
    scalar (no seed), which pyca/cryptography cannot take, and `noclamp` keeps the scalar
    exactly as tor uses it (it is clamped already; from_blob checks that).
    """
    return nacl.bindings.crypto_scalarmult_ed25519_base_noclamp(scalar)


def onion_address(public_key: bytes) -> str:
    """The 56-character v3 onion address (no ``.onion``) of an ed25519 public key."""
    if len(public_key) != 32:
        raise OnionKeyError("an ed25519 public key is 32 bytes")
    checksum = hashlib.sha3_256(b".onion checksum" + public_key + _VERSION).digest()[:2]
    return base64.b32encode(public_key + checksum + _VERSION).decode("ascii").lower()


def is_onion_address(address: str) -> bool:
    """True if address (with or without ``.onion``) is a well-formed v3 address."""
    label = address.removesuffix(".onion")
    if len(label) != 56:
        return False
    try:
        raw = base64.b32decode(label.upper())
    except binascii.Error:
        return False
    return raw[-1:] == _VERSION and onion_address(raw[:32]) == label


@dataclass(frozen=True)
class OnionServiceKey:
    """An onion service's secret key in ADD_ONION form and the address it gives."""

    blob: str = field(repr=False)
    address: str

    @property
    def hostname(self) -> str:
        """The address with its ``.onion`` suffix."""
        return f"{self.address}.onion"

    @classmethod
    def from_blob(cls, blob: str) -> OnionServiceKey:
        """Parse ``ED25519-V3:<base64>`` and derive the address; OnionKeyError if malformed."""
        if not blob.startswith(KEY_PREFIX):
            raise OnionKeyError(f"onion key must start with {KEY_PREFIX!r}")
        try:
            raw = base64.b64decode(blob[len(KEY_PREFIX) :], validate=True)
        except binascii.Error:
            raise OnionKeyError("onion key is not valid base64") from None
        if len(raw) != 64:
            raise OnionKeyError("onion key must decode to tor's 64-byte expanded key")
        if raw[0] & 7 or raw[31] & 0x80 or not raw[31] & 0x40:
            raise OnionKeyError("onion key is not a clamped ed25519 scalar (corrupt file?)")
        public = _public_key(raw[:32])
        return cls(blob=blob, address=onion_address(public))


def generate_service_key() -> OnionServiceKey:
    """A fresh ed25519-v3 key, expanded from 32 random bytes exactly as tor does."""
    expanded = bytearray(hashlib.sha512(secrets.token_bytes(32)).digest())
    expanded[0] &= 248
    expanded[31] &= 127
    expanded[31] |= 64
    return OnionServiceKey.from_blob(KEY_PREFIX + base64.b64encode(bytes(expanded)).decode())


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode) or mode & 0o077:
        raise OnionKeyError(f"{path} must be a regular file readable only by its owner (chmod 600 {path})")


def write_secret_file(path: Path, text: str) -> None:
    """Create path atomically with mode 0600 in a 0700 directory, fsynced; never overwrite."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # fails if path exists: a key is never silently replaced
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_service_key(path: Path) -> OnionServiceKey:
    """Load a persisted key; OnionKeyError if missing, unsafe or malformed."""
    try:
        _check_private(path)
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise OnionKeyError(f"onion key file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OnionKeyError(f"cannot read onion key file {path}: {exc}") from None
    try:
        return OnionServiceKey.from_blob(text)
    except OnionKeyError as exc:
        raise OnionKeyError(f"{path}: {exc}") from None


def load_or_create_service_key(path: Path) -> OnionServiceKey:
    """Load the key at path, creating and persisting a new one on first use."""
    if not path.exists():
        key = generate_service_key()
        try:
            write_secret_file(path, key.blob + "\n")
        except FileExistsError:
            pass  # another process created it first; load theirs
        else:
            return key
    return load_service_key(path)


@dataclass(frozen=True)
class OnionFiles:
    """Where onion_config keeps its files inside the service's data directory."""

    root: Path

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> OnionFiles:
        """The onion files of a data directory (``<data_dir>/onion``)."""
        return cls(data_dir / "onion")

    @property
    def reporter_key(self) -> Path:
        """Secret key of the public reporter onion."""
        return self.root / "reporter.key"

    @property
    def investigator_key(self) -> Path:
        """Secret key of the investigator onion (client authorisation required)."""
        return self.root / "investigator.key"

    @property
    def clients_dir(self) -> Path:
        """Public keys of authorised investigator clients, one ``NAME.auth`` file each."""
        return self.root / "investigator_clients"

    @property
    def tor_dir(self) -> Path:
        """Working directory of a tor we launch (torrc, DataDirectory, log)."""
        return self.root / "tor"

    @property
    def testnet_tor_dir(self) -> Path:
        """Working directory of the onion tor on a private test network (never mixed with tor_dir)."""
        return self.root / "tor-testnet"

    @property
    def state_file(self) -> Path:
        """What a running `serve` last saw of tor (see onion_config.state)."""
        return self.root / "serve-state.json"

    @property
    def serve_lock(self) -> Path:
        """Locked by a running `serve` for as long as it runs."""
        return self.root / "serve.lock"
