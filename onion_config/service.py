"""The high-level entry: put both sites behind their onions for as long as a block runs.

``serve_onions`` launches tor (or attaches to a running one, or joins the
private test network), publishes the reporter onion with proof-of-work and
the investigator onion with client authorisation, keeps both published
while tor dies and comes back (onion_config.supervisor), and takes both
down again on exit. ``run.py serve`` and ``run.py demo`` call it.

Security: both sites stay bound to 127.0.0.1; tor is their only way in.
The two onions have separate keys and addresses, and nothing here gives
the reporter site the investigator address (invariant 5).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import stem.control

from onion_config import client_auth, launcher, publish, torrc
from onion_config.errors import NoInvestigatorClients
from onion_config.onion_keys import OnionFiles, load_or_create_service_key
from onion_config.state import ServeLock
from onion_config.supervisor import OnionSites, OnionSupervisor, TorConnection, TorOpener

if TYPE_CHECKING:
    from onion_config.testnet import PrivateTorNetwork


@dataclass(frozen=True)
class TorSettings:
    """How the production server reaches tor."""

    mode: Literal["launch", "attach"] = "launch"
    tor_cmd: str = "tor"
    control_host: str = torrc.LOOPBACK
    control_port: int = 9051
    control_socket: Path | None = None
    control_password_file: Path | None = None
    start_timeout: float = 120.0

    def read_password(self) -> str | None:
        """The control password from its file (kept off the command line), if any."""
        if self.control_password_file is None:
            return None
        return self.control_password_file.read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class OnionAddresses:
    """The two published onions, as hostnames ending in ``.onion``."""

    reporter: str
    investigator: str

    @property
    def reporter_url(self) -> str:
        """The URL reporters open in Tor Browser."""
        return f"http://{self.reporter}/"

    @property
    def investigator_url(self) -> str:
        """The URL of the investigator site (needs a client-auth key)."""
        return f"http://{self.investigator}/"


class RunningOnions:
    """Both onions while ``serve_onions`` keeps them published (through tor restarts too)."""

    def __init__(self, addresses: OnionAddresses, supervisor: OnionSupervisor) -> None:
        self.addresses = addresses
        self._supervisor = supervisor

    @property
    def controller(self) -> stem.control.Controller:
        """The live control connection (it changes when tor is restarted)."""
        return self._supervisor.controller

    @property
    def tor_restarts(self) -> int:
        """How many times tor was restarted or reattached since the onions were first published."""
        return self._supervisor.restarts

    def tor_process_id(self) -> int | None:
        """The pid of the tor we launched (None when attached to a system tor)."""
        return self._supervisor.tor_process_id()

    def wait_published(self, timeout: float) -> None:
        """Block until tor has uploaded both descriptors (PublishFailed on timeout)."""
        self._supervisor.wait_published(timeout)

    def reporter_pow_params(self) -> str | None:
        """The proof-of-work parameters tor advertises for the reporter onion."""
        return publish.published_pow_params(self.controller, self.addresses.reporter)


@contextlib.contextmanager
def serve_onions(data_dir: Path, reporter_port: int, investigator_port: int,
                 tor: TorSettings | None = None, *, network: PrivateTorNetwork | None = None,
                 publish_timeout: float | None = None) -> Iterator[RunningOnions]:
    """Publish both onions for the sites on 127.0.0.1 ports, keep them up, unpublish on exit.

    Keys are loaded from (or created in) ``<data_dir>/onion``. With
    ``network`` the tor joins that private test network instead of Tor.
    With ``publish_timeout`` we wait until both descriptors are uploaded.
    While the block runs, tor is supervised (see onion_config.supervisor).
    Raises TorMissing, TorTooOld, ControlPortRefused, TorStartFailed,
    NoInvestigatorClients, PublishFailed or OnionKeyError, each with advice.
    """
    files = OnionFiles.for_data_dir(data_dir)
    tor = tor or TorSettings()
    if not client_auth.list_clients(files.clients_dir):
        raise NoInvestigatorClients()
    sites = OnionSites(load_or_create_service_key(files.reporter_key), reporter_port,
                       load_or_create_service_key(files.investigator_key), investigator_port)
    with ServeLock(files.serve_lock):
        opener, mode = _opener(files, tor, network)
        supervisor = OnionSupervisor(files, sites, opener, mode=mode)
        supervisor.start()
        try:
            running = RunningOnions(
                OnionAddresses(sites.reporter.hostname, sites.investigator.hostname), supervisor)
            if publish_timeout is not None:
                running.wait_published(publish_timeout)
            yield running
        finally:
            supervisor.stop()


def _opener(files: OnionFiles, tor: TorSettings,
            network: PrivateTorNetwork | None) -> tuple[TorOpener, str]:
    """How to (re)open tor, and the mode's name for the state file."""
    if network is not None:
        workdir = state_dir_for_network(files.testnet_tor_dir, network.identity)

        def join_testnet() -> TorConnection:
            # As with a launched tor: the onions are added at once and published when tor has
            # bootstrapped, rather than after waiting for the bootstrap first.
            launched = network.launch_tor(
                torrc.service_options(workdir / "data", workdir / "control_port"), workdir,
                timeout=tor.start_timeout, wait_bootstrap=False)
            return TorConnection(launched.controller, launched)

        return join_testnet, "testnet"
    if tor.mode == "launch":
        workdir = files.tor_dir

        def launch() -> TorConnection:
            launched = launcher.launch(
                torrc.service_options(workdir / "data", workdir / "control_port"), workdir,
                tor_cmd=tor.tor_cmd, timeout=tor.start_timeout, wait_bootstrap=False)
            return TorConnection(launched.controller, launched)

        return launch, "launch"

    def attach() -> TorConnection:
        return TorConnection(launcher.attach(tor.control_host, tor.control_port,
                                             socket_path=tor.control_socket,
                                             password=tor.read_password()))

    return attach, "attach"


def state_dir_for_network(workdir: Path, identity: str) -> Path:
    """The onion tor's directory for this test network: its tor state starts afresh per network.

    Tor keeps a sample of guards in its state file; relays of earlier networks stay in it
    as "unlisted" until the sample is full and no first hop can be found, so state from
    another network is removed, never carried over.
    """
    marker = workdir / "network-id"
    known = marker.read_text(encoding="ascii").strip() if marker.exists() else ""
    if known != identity:
        shutil.rmtree(workdir / "data", ignore_errors=True)
        launcher.write_private(marker, identity + "\n")
    return workdir
