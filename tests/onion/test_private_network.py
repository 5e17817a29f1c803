"""End to end over the private loopback Tor network: publish, reach, refuse, restart, PoW."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from aiohttp_socks import ProxyError

from onion_config import (
    OnionServiceKey,
    PrivateTorNetwork,
    TorClient,
    add_client,
    serve_onions,
    torrc,
)
from onion_config.onion_keys import OnionFiles, is_onion_address
from tests.onion.conftest import PUBLISH_TIMEOUT, Backend, Published, nacl_keypair
from tests.onion.socks import CLIENT_AUTH_MISSING, CLIENT_AUTH_WRONG, get_through_tor, socks_reply_code

pytestmark = pytest.mark.tor


def _all_torrcs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and re.fullmatch(r"(.+\.)?torrc", p.name))


def test_every_torrc_on_disk_is_private(
    tor_network: PrivateTorNetwork, published: Published, tor_client: TorClient
) -> None:
    """Every torrc that tor read in this session names only 127.0.0.1 authorities."""
    files = _all_torrcs(tor_network.workdir) + _all_torrcs(published.data_dir)
    assert len(files) >= 3 + 3 + 2, files  # six nodes, the service tor and a client
    for path in files:
        text = path.read_text()
        torrc.check_private_testnet(text)
        options = torrc.parse(text)
        assert ("TestingTorNetwork", "1") in options
        authorities = [v for k, v in options if k == "DirAuthority"]
        assert len(authorities) == 3
        assert all(" 127.0.0.1:" in line for line in authorities), path
        assert oct(path.stat().st_mode & 0o777) == "0o600", path


def test_network_is_built_in_bounded_time(tor_network: PrivateTorNetwork) -> None:
    assert tor_network.bootstrap_seconds is not None
    assert tor_network.bootstrap_seconds < 120


async def test_reporter_onion_serves_through_socks(
    published: Published, tor_client: TorClient
) -> None:
    address = published.running.addresses.reporter
    assert is_onion_address(address)
    status, body = await get_through_tor(tor_client.socks_port, f"http://{address}/")
    assert (status, body) == (200, "reporter site")


async def test_investigator_onion_refuses_client_without_key(
    published: Published, tor_client: TorClient
) -> None:
    url = published.running.addresses.investigator_url
    with pytest.raises(ProxyError) as caught:
        await get_through_tor(tor_client.socks_port, url)
    assert socks_reply_code(caught.value) == CLIENT_AUTH_MISSING


async def test_investigator_onion_refuses_wrong_key(
    published: Published, tor_network: PrivateTorNetwork
) -> None:
    address = published.running.addresses.investigator
    stranger = add_client(published.data_dir / "not-authorised", "mallory", nacl_keypair)
    client = tor_network.start_client("wrong-key", [stranger.auth_private_line(address)])
    try:
        with pytest.raises(ProxyError) as caught:
            await get_through_tor(client.socks_port, f"http://{address}/")
        assert socks_reply_code(caught.value) == CLIENT_AUTH_WRONG
    finally:
        client.stop()


async def test_investigator_onion_serves_client_with_key(
    published: Published, tor_network: PrivateTorNetwork
) -> None:
    address = published.running.addresses.investigator
    client = tor_network.start_client("alice", [published.credential.auth_private_line(address)])
    try:
        status, body = await get_through_tor(client.socks_port, f"http://{address}/")
        assert (status, body) == (200, "investigator site")
    finally:
        client.stop()


def test_reporter_onion_has_pow_defences_published(published: Published) -> None:
    """Ask the running tor for the descriptor it publishes and read its pow-params."""
    # stem decrypts descriptors with the 'cryptography' package (pinned in requirements.lock).
    params = published.running.reporter_pow_params()
    assert params is not None, "reporter onion descriptor has no pow-params line"
    assert params.startswith("pow-params v1 ")


def test_tor_agrees_with_our_address_derivation(published: Published) -> None:
    """Known answers from tor itself: keys tor generates yield the addresses tor reports.

    With -s it prints one (key, address) pair: tests/onion/test_onion_keys.py ships one as
    TOR_VECTOR so the check runs without tor too.
    """
    controller = published.running.controller
    for _ in range(8):
        reply = controller.msg("ADD_ONION NEW:ED25519-V3 Port=80,127.0.0.1:9")
        assert reply.is_ok(), str(reply)
        fields = dict(line.split("=", 1) for line in reply if "=" in line)
        try:
            assert OnionServiceKey.from_blob(fields["PrivateKey"]).address == fields["ServiceID"]
        finally:
            controller.msg(f"DEL_ONION {fields['ServiceID']}")
    print(f"\ntor vector: {fields['PrivateKey']} -> {fields['ServiceID']}")


async def test_reporter_address_survives_restart(
    tor_network: PrivateTorNetwork,
    backends: tuple[Backend, Backend],
    tor_client: TorClient,
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    add_client(OnionFiles.for_data_dir(data_dir).clients_dir, "bob", nacl_keypair)
    reporter, investigator = backends
    seen = []
    for _ in range(2):
        began = time.monotonic()
        with serve_onions(
            data_dir, reporter.port, investigator.port, network=tor_network,
            publish_timeout=PUBLISH_TIMEOUT,
        ) as running:
            seen.append(running.addresses)
            status, body = await get_through_tor(
                tor_client.socks_port, running.addresses.reporter_url
            )
            assert (status, body) == (200, "reporter site")
        print(f"publish and first fetch took {time.monotonic() - began:.1f} s")
    assert seen[0] == seen[1]
    key_file = OnionFiles.for_data_dir(data_dir).reporter_key
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert seen[0].reporter != seen[0].investigator
