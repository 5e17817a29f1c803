"""``run.py demo``: both sites behind real onions on a private Tor network.

``demo_network`` builds the private network (the caller prepares its demo
data meanwhile); ``demo_onions`` publishes the onions with ``serve_onions``
and starts a client tor that holds a demo investigator's client-auth key, so
a browser pointed at its SOCKS port can open both sites.

Security: the whole network is on 127.0.0.1 and never meets the public Tor
network (invariant 8). Each demo run authorises a fresh demo client and
revokes the previous one.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from onion_config import client_auth
from onion_config.client_auth import ClientCredential, KeyPairFactory
from onion_config.errors import OnionKeyError, TorError
from onion_config.onion_keys import OnionFiles, load_or_create_service_key
from onion_config.service import RunningOnions, serve_onions
from onion_config.testnet import PrivateTorNetwork, TorClient

DEMO_CLIENT = "demo-investigator"
_MARKER = ".tipdrop-private-tor-network"


@contextlib.contextmanager
def demo_network(
    workdir: Path, *, timeout: float = 120.0, cancel: threading.Event | None = None
) -> Iterator[PrivateTorNetwork]:
    """A started private Tor network in ``workdir`` (wiped first if a previous one is there).

    Setting ``cancel`` while it starts stops it at once with NetworkStopped (nothing left running).
    """
    workdir = workdir.resolve()
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / _MARKER).exists():
            raise TorError(f"{workdir} is not empty and not a previous private network; "
                           "choose another directory")
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, mode=0o700)
    (workdir / _MARKER).touch()
    network = PrivateTorNetwork(workdir, cancel=cancel)
    network.start(timeout=timeout)
    try:
        yield network
    finally:
        network.stop()


@dataclass(frozen=True)
class DemoOnions:
    """Everything ``run.py demo`` prints: addresses, SOCKS proxy and the client key."""

    running: RunningOnions
    client: TorClient
    credential: ClientCredential
    network_seconds: float
    keys_seconds: float

    def describe(self) -> str:
        """A human summary for the terminal."""
        addresses = self.running.addresses
        return "\n".join([
            f"Private Tor network ready in {self.network_seconds:.1f} s (its authorities' keys "
            f"{self.keys_seconds:.1f} s of it; 127.0.0.1 only).",
            f"Reporter site:      {addresses.reporter_url}",
            f"Investigator site:  {addresses.investigator_url}  (client authorisation)",
            f"SOCKS proxy:        {self.client.socks_url}",
            f"Client-auth key in use ({self.credential.name}), as Tor Browser asks for it:",
            f"  {self.credential.tor_browser_key()}",
            "  as a ClientOnionAuthDir .auth_private line:",
            f"  {self.credential.auth_private_line(addresses.investigator)}",
            "Try: curl --proxy " + self.client.socks_url + " " + addresses.reporter_url,
        ])


@contextlib.contextmanager
def demo_onions(network: PrivateTorNetwork, data_dir: Path, reporter_port: int,
                investigator_port: int, make_keypair: KeyPairFactory, *,
                timeout: float = 120.0) -> Iterator[DemoOnions]:
    """Both onions for the sites on those ports, and a client holding the demo key.

    The client tor bootstraps while the onions are being published (it needs only the
    investigator address, which the key gives without tor), so neither waits for the other.
    """
    files = OnionFiles.for_data_dir(data_dir)
    with contextlib.suppress(OnionKeyError):
        client_auth.remove_client(files.clients_dir, DEMO_CLIENT)
    credential = client_auth.add_client(files.clients_dir, DEMO_CLIENT, make_keypair)
    address = load_or_create_service_key(files.investigator_key).hostname
    with ThreadPoolExecutor(1, thread_name_prefix="demo-client") as pool:
        starting = pool.submit(network.start_client, "demo",
                               [credential.auth_private_line(address)], timeout=timeout)
        # If publishing fails, the network stops the client with every other tor it started.
        with serve_onions(data_dir, reporter_port, investigator_port, network=network,
                          publish_timeout=timeout) as running:
            client = starting.result()
            try:
                yield DemoOnions(running, client, credential, network.bootstrap_seconds or 0.0,
                                 network.keys_seconds or 0.0)
            finally:
                client.stop()
