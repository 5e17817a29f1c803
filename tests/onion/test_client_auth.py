"""Investigator client authorisation keys: formats tor and Tor Browser accept, registry."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from onion_config import OnionKeyError, add_client, list_clients, remove_client
from onion_config.client_auth import b32, from_b32
from onion_config.onion_keys import onion_address
from tests.onion.conftest import nacl_keypair, x25519_public

ADDRESS = onion_address(bytes(range(32)))


def test_credential_formats(tmp_path: Path) -> None:
    credential = add_client(tmp_path, "alice", nacl_keypair)
    private = from_b32(credential.private_b32)
    assert b32(x25519_public(private)) == credential.public_b32
    assert len(credential.tor_browser_key()) == 52
    assert credential.tor_browser_key() == credential.tor_browser_key().upper()
    assert credential.auth_private_line(ADDRESS + ".onion") == (
        f"{ADDRESS}:descriptor:x25519:{credential.private_b32}"
    )
    prefix, _, b64 = credential.control_port_key().partition(":")
    assert prefix == "x25519" and base64.b64decode(b64) == private
    assert credential.private_b32 not in repr(credential)


def test_server_keeps_only_the_public_key(tmp_path: Path) -> None:
    credential = add_client(tmp_path, "alice", nacl_keypair)
    path = tmp_path / "alice.auth"
    assert path.read_text() == f"descriptor:x25519:{credential.public_b32}\n"
    assert path.stat().st_mode & 0o777 == 0o600
    stored = "".join(p.read_text() for p in tmp_path.iterdir())
    assert credential.private_b32 not in stored


def test_registry_add_list_remove(tmp_path: Path) -> None:
    assert list_clients(tmp_path / "none") == []
    alice = add_client(tmp_path, "alice", nacl_keypair)
    bob = add_client(tmp_path, "bob-2", nacl_keypair)
    assert [(c.name, c.public_b32) for c in list_clients(tmp_path)] == [
        ("alice", alice.public_b32),
        ("bob-2", bob.public_b32),
    ]
    with pytest.raises(OnionKeyError, match="already exists"):
        add_client(tmp_path, "alice", nacl_keypair)
    remove_client(tmp_path, "alice")
    assert [c.name for c in list_clients(tmp_path)] == ["bob-2"]
    with pytest.raises(OnionKeyError, match="no investigator client"):
        remove_client(tmp_path, "alice")


@pytest.mark.parametrize("name", ["", "../evil", "a b", "-x", "x" * 33, "ünï"])
def test_bad_client_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(OnionKeyError):
        add_client(tmp_path, name, nacl_keypair)


def test_malformed_auth_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "eve.auth").write_text("descriptor:x25519:tooshort\n")
    with pytest.raises(OnionKeyError, match=r"eve\.auth"):
        list_clients(tmp_path)


def test_key_factory_output_is_checked(tmp_path: Path) -> None:
    with pytest.raises(OnionKeyError):
        add_client(tmp_path, "short", lambda: (b"x" * 31, b"y" * 32))
    assert not (tmp_path / "short.auth").exists()


@pytest.mark.parametrize("text", ["", "A" * 51, "1" * 52, "A" * 60])
def test_from_b32_refuses_malformed(text: str) -> None:
    with pytest.raises(OnionKeyError):
        from_b32(text)
