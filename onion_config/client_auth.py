"""v3 onion client authorisation: investigator client keys and their text formats.

The server keeps only public keys, one ``NAME.auth`` file each in tor's own
``authorized_clients`` format (``descriptor:x25519:<base32 public>``). The
private key is returned once, for the operator to hand to that investigator,
in the forms Tor Browser and tor accept; it is never written here.

Key pairs come from a caller-supplied factory (the project's crypto module),
so this package never imports a crypto library itself.

Security: invariant 5. Without a listed key a client cannot even decrypt the
investigator onion's descriptor, so it cannot find the service.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from onion_config.errors import OnionKeyError
from onion_config.onion_keys import write_secret_file

KeyPairFactory = Callable[[], tuple[bytes, bytes]]
"""Returns a fresh X25519 key pair as (private 32 bytes, public 32 bytes)."""

CLIENT_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}"
_NAME = re.compile(CLIENT_NAME)
_AUTH_LINE = re.compile(r"^descriptor:x25519:([A-Z2-7]{52})$")


def b32(key: bytes) -> str:
    """Tor's base32 form of a 32-byte x25519 key (52 upper-case characters, no padding)."""
    if len(key) != 32:
        raise OnionKeyError("an x25519 key is 32 bytes")
    return base64.b32encode(key).decode("ascii").rstrip("=")


def from_b32(text: str) -> bytes:
    """Decode a 52-character base32 x25519 key; OnionKeyError if malformed."""
    try:
        raw = base64.b32decode(text.strip().upper() + "====")
    except binascii.Error:
        raise OnionKeyError("x25519 key is not valid base32") from None
    if len(raw) != 32:
        raise OnionKeyError("x25519 key must be 32 bytes")
    return raw


@dataclass(frozen=True)
class AuthorisedClient:
    """One investigator client allowed to reach the investigator onion."""

    name: str
    public_b32: str


@dataclass(frozen=True)
class ClientCredential:
    """A new client's key pair, to be shown once to the operator and then forgotten."""

    name: str
    public_b32: str
    private_b32: str = field(repr=False)

    def tor_browser_key(self) -> str:
        """What to paste into Tor Browser's "onion site requires authentication" prompt."""
        return self.private_b32

    def auth_private_line(self, onion_address: str) -> str:
        """A line for a ``.auth_private`` file in tor's ``ClientOnionAuthDir``."""
        return f"{onion_address.removesuffix('.onion')}:descriptor:x25519:{self.private_b32}"

    def control_port_key(self) -> str:
        """The key as ONION_CLIENT_AUTH_ADD takes it (``x25519:<base64>``)."""
        return "x25519:" + base64.b64encode(from_b32(self.private_b32)).decode("ascii")


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise OnionKeyError(
            "client names are 1-32 letters, digits, '-' or '_', starting with a letter or digit"
        )


def add_client(clients_dir: Path, name: str, make_keypair: KeyPairFactory) -> ClientCredential:
    """Authorise a new client: store its public key, return its credential once.

    Refuses a name already in use (rotation replaces keys explicitly).
    """
    _check_name(name)
    private, public = make_keypair()
    credential = ClientCredential(name, b32(public), b32(private))
    try:
        write_secret_file(clients_dir / f"{name}.auth", f"descriptor:x25519:{credential.public_b32}\n")
    except FileExistsError:
        raise OnionKeyError(f"an investigator client called {name!r} already exists") from None
    return credential


def remove_client(clients_dir: Path, name: str) -> None:
    """Revoke a client; a running `serve` republishes the onion without it within seconds."""
    _check_name(name)
    try:
        (clients_dir / f"{name}.auth").unlink()
    except FileNotFoundError:
        raise OnionKeyError(f"no investigator client called {name!r}") from None


def list_clients(clients_dir: Path) -> list[AuthorisedClient]:
    """Every authorised client, by name; OnionKeyError on a malformed file."""
    if not clients_dir.is_dir():
        return []
    clients = []
    for path in sorted(clients_dir.glob("*.auth")):
        match = _AUTH_LINE.match(path.read_text(encoding="ascii", errors="replace").strip())
        if match is None:
            raise OnionKeyError(f"{path} is not a 'descriptor:x25519:<base32>' line")
        clients.append(AuthorisedClient(path.stem, match.group(1)))
    return clients
