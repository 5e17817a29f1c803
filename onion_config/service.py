"""The high-level entry: put both sites behind their onions for as long as a block runs.

``serve_onions`` launches tor (or attaches to a running one, or joins the
private test network), publishes the reporter onion with proof-of-work and
the investigator onion with client authorisation, and takes both down
again on exit. ``run.py serve`` and ``run.py demo`` call it.

Security: both sites stay bound to 127.0.0.1; tor is their only way in.
The two onions have separate keys and addresses, and nothing here gives
the reporter site the investigator address (invariant 5).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import stem.control

from onion_config import client_auth, launcher, publish, torrc
from onion_config.errors import NoInvestigatorClients
from onion_config.onion_keys import OnionFiles, load_or_create_service_key

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


@dataclass
class RunningOnions:
    """Both onions while they are published; ``controller`` is the live control connection."""

    addresses: OnionAddresses
    controller: stem.control.Controller
    _watcher: publish.UploadWatcher = field(repr=False)

    def wait_published(self, timeout: float) -> None:
        """Block until tor has uploaded both descriptors (PublishFailed on timeout)."""
        self._watcher.wait([self.addresses.reporter, self.addresses.investigator], timeout)

    def reporter_pow_params(self) -> str | None:
        """The proof-of-work parameters tor advertises for the reporter onion."""
        return publish.published_pow_params(self.controller, self.addresses.reporter)


@contextlib.contextmanager
def serve_onions(data_dir: Path, reporter_port: int, investigator_port: int,
                 tor: TorSettings | None = None, *, network: PrivateTorNetwork | None = None,
                 publish_timeout: float | None = None) -> Iterator[RunningOnions]:
    """Publish both onions for the sites on 127.0.0.1 ports; unpublish on exit.

    Keys are loaded from (or created in) ``<data_dir>/onion``. With
    ``network`` the tor joins that private test network instead of Tor.
    With ``publish_timeout`` we wait until both descriptors are uploaded.
    Raises TorMissing, TorTooOld, ControlPortRefused, TorStartFailed,
    NoInvestigatorClients, PublishFailed or OnionKeyError, each with advice.
    """
    files = OnionFiles.for_data_dir(data_dir)
    tor = tor or TorSettings()
    clients = client_auth.list_clients(files.clients_dir)
    reporter_key = load_or_create_service_key(files.reporter_key)
    investigator_key = load_or_create_service_key(files.investigator_key)
    if not clients:
        raise NoInvestigatorClients()
    with contextlib.ExitStack() as stack:
        controller = _open_tor(stack, files, tor, network)
        watcher = publish.UploadWatcher(controller)
        stack.callback(watcher.close)
        reporter = publish.publish_reporter(controller, reporter_key, reporter_port)
        stack.callback(publish.remove_onion, controller, reporter)
        investigator = publish.publish_investigator(controller, investigator_key,
                                                    investigator_port, clients)
        stack.callback(publish.remove_onion, controller, investigator)
        running = RunningOnions(OnionAddresses(reporter, investigator), controller, watcher)
        if publish_timeout is not None:
            running.wait_published(publish_timeout)
        yield running


def _open_tor(stack: contextlib.ExitStack, files: OnionFiles, tor: TorSettings,
              network: PrivateTorNetwork | None) -> stem.control.Controller:
    if network is not None:
        workdir = files.root / "tor-testnet"  # never mixes state with a production tor
        launched = network.launch_tor(
            torrc.service_options(workdir / "data", workdir / "control_port"), workdir,
            timeout=tor.start_timeout)
    elif tor.mode == "launch":
        workdir = files.tor_dir
        launched = launcher.launch(
            torrc.service_options(workdir / "data", workdir / "control_port"), workdir,
            tor_cmd=tor.tor_cmd, timeout=tor.start_timeout, wait_bootstrap=False)
    else:
        controller = launcher.attach(tor.control_host, tor.control_port,
                                     socket_path=tor.control_socket,
                                     password=tor.read_password())
        stack.callback(controller.close)
        return controller
    stack.callback(launched.stop)
    return launched.controller
