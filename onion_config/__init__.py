"""Everything Tor: torrc generation, launching and controlling tor with stem, onion keys,
client authorisation, proof-of-work defence, and the private loopback test network.

This is the only package that imports stem. Entry points for ``run.py``:
``serve_onions`` (production and tests) and ``demo_onions`` / ``demo_network``
(the private network demo).
"""

from onion_config.client_auth import (
    AuthorisedClient,
    ClientCredential,
    KeyPairFactory,
    add_client,
    list_clients,
    remove_client,
)
from onion_config.demo import DemoOnions, demo_network, demo_onions
from onion_config.errors import (
    ControlPortRefused,
    NetworkStopped,
    NoInvestigatorClients,
    OnionKeyError,
    PublishFailed,
    TorError,
    TorMissing,
    TorStartFailed,
    TorTooOld,
    UnsafeTorConfig,
)
from onion_config.onion_keys import OnionFiles, OnionServiceKey, load_or_create_service_key
from onion_config.service import OnionAddresses, RunningOnions, TorSettings, serve_onions
from onion_config.state import OnionState, read_state, serve_is_running
from onion_config.testnet import PrivateTorNetwork, TorClient

__all__ = [
    "AuthorisedClient",
    "ClientCredential",
    "ControlPortRefused",
    "DemoOnions",
    "KeyPairFactory",
    "NetworkStopped",
    "NoInvestigatorClients",
    "OnionAddresses",
    "OnionFiles",
    "OnionKeyError",
    "OnionServiceKey",
    "OnionState",
    "PrivateTorNetwork",
    "PublishFailed",
    "RunningOnions",
    "TorClient",
    "TorError",
    "TorMissing",
    "TorSettings",
    "TorStartFailed",
    "TorTooOld",
    "UnsafeTorConfig",
    "add_client",
    "demo_network",
    "demo_onions",
    "list_clients",
    "load_or_create_service_key",
    "read_state",
    "remove_client",
    "serve_is_running",
    "serve_onions",
]
