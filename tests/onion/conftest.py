"""Fixtures for the Tor tests: one private loopback Tor network per session.

Tests marked ``tor`` or ``browser`` run only when ``TIPDROP_TOR_TESTS=1``, which
``scripts/test_onion.sh`` sets after moving into an empty network namespace,
so a plain ``pytest tests`` run stays fast and offline. The unit tests in
this folder always run.
"""

from __future__ import annotations

import http.server
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nacl.bindings
import nacl.public
import pytest

from onion_config import (
    ClientCredential,
    PrivateTorNetwork,
    RunningOnions,
    TorClient,
    TorError,
    add_client,
    serve_onions,
)
from onion_config.onion_keys import OnionFiles

HERE = Path(__file__).parent
NETWORK_TIMEOUT = 120.0
PUBLISH_TIMEOUT = 60.0


# stem logs every closed control socket at INFO; keep failure output readable.
logging.getLogger("stem").setLevel(logging.WARNING)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("TIPDROP_TOR_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="over-Tor test: run scripts/test_onion.sh (TIPDROP_TOR_TESTS=1)")
    for item in items:
        if HERE in Path(str(item.fspath)).parents and (
            item.get_closest_marker("tor") or item.get_closest_marker("browser")
        ):
            item.add_marker(skip)


def nacl_keypair() -> tuple[bytes, bytes]:
    """An X25519 key pair (private, public) for client authorisation."""
    private = nacl.public.PrivateKey.generate()
    return bytes(private), bytes(private.public_key)


def x25519_public(private: bytes) -> bytes:
    return nacl.bindings.crypto_scalarmult_base(private)


@pytest.fixture(scope="session")
def tor_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateTorNetwork]:
    """Three authorities and three relays on 127.0.0.1, built once per session."""
    network = PrivateTorNetwork(tmp_path_factory.mktemp("tor-network"))
    try:
        network.start(timeout=NETWORK_TIMEOUT)
    except TorError as exc:
        pytest.fail(f"private Tor network did not come up within {NETWORK_TIMEOUT:.0f} s: {exc}")
    print(f"\nprivate Tor network ready in {network.bootstrap_seconds:.1f} s")
    yield network
    network.stop()


class _Backend(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Backend:
    """A tiny HTTP site on 127.0.0.1 standing in for one of our sites."""

    port: int
    body: bytes


@pytest.fixture(scope="session")
def backends() -> Iterator[tuple[Backend, Backend]]:
    servers = []
    made = []
    for name in (b"reporter site", b"investigator site"):
        handler = type("Handler", (_Backend,), {"body": name})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        made.append(Backend(server.server_address[1], name))
    yield made[0], made[1]
    for server in servers:
        server.shutdown()
        server.server_close()


@dataclass
class Published:
    """Both onions published on the private network for the backends."""

    running: RunningOnions
    credential: ClientCredential
    data_dir: Path
    reporter: Backend
    investigator: Backend


@pytest.fixture(scope="session")
def published(
    tor_network: PrivateTorNetwork,
    backends: tuple[Backend, Backend],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Published]:
    data_dir = tmp_path_factory.mktemp("onion-data")
    credential = add_client(OnionFiles.for_data_dir(data_dir).clients_dir, "alice", nacl_keypair)
    reporter, investigator = backends
    with serve_onions(
        data_dir, reporter.port, investigator.port, network=tor_network,
        publish_timeout=PUBLISH_TIMEOUT,
    ) as running:
        yield Published(running, credential, data_dir, reporter, investigator)


@pytest.fixture(scope="session")
def tor_client(tor_network: PrivateTorNetwork) -> Iterator[TorClient]:
    """A client tor without any client-auth key."""
    client = tor_network.start_client("anonymous")
    yield client
    client.stop()
