"""Publish the reporter and investigator onions through tor's control port.

Both are ephemeral services (ADD_ONION) built from keys we persist, so the
addresses survive restarts, tor needs no access to our data directory (it
may run as another user when we attach to a system tor), and the services
vanish the moment our control connection closes.

Security: the reporter onion has proof-of-work DoS defences on
(``PoWDefensesEnabled=1``). The investigator onion always requires v3 client
authorisation and is refused outright without an authorised client
(invariant 5). Both forward only to 127.0.0.1. Tor's ServiceID must match
the address derived from our key, or nothing is served.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence

import stem
import stem.control
import stem.response.events
from stem.descriptor.hidden_service import HiddenServiceDescriptorV3

from onion_config.errors import NoInvestigatorClients, PublishFailed, TorError
from onion_config.onion_keys import OnionServiceKey
from onion_config.torrc import LOOPBACK

VIRTUAL_PORT = 80


# Tor Browser opens a handful of connections per site; a circuit asking for more is
# misbehaving. Over the cap tor closes the whole rendezvous circuit (MaxStreamsCloseCircuit),
# so one circuit cannot hold hundreds of half-open connections to the sites.
MAX_STREAMS_PER_CIRCUIT = 32


def add_onion_command(key: OnionServiceKey, target_port: int, *, pow_defences: bool,
                      client_keys: Sequence[str] = ()) -> str:
    """The ADD_ONION line for one of our services.

    Security: a per-circuit stream cap that closes the circuit, and a target on 127.0.0.1.
    """
    flags = ["DiscardPK", "MaxStreamsCloseCircuit"] + (["V3Auth"] if client_keys else [])
    parts = ["ADD_ONION", key.blob, "Flags=" + ",".join(flags),
             f"MaxStreams={MAX_STREAMS_PER_CIRCUIT}",
             f"Port={VIRTUAL_PORT},{LOOPBACK}:{target_port}"]
    if pow_defences:
        parts.append("PoWDefensesEnabled=1")  # a keyword, not a flag
    parts += [f"ClientAuthV3={public}" for public in client_keys]
    return " ".join(parts)


def add_onion(controller: stem.control.Controller, key: OnionServiceKey, target_port: int, *,
              label: str, pow_defences: bool, client_keys: Sequence[str] = ()) -> str:
    """ADD_ONION with our key; return the ``.onion`` hostname, checked against the key.

    ``client_keys`` are base32 x25519 public keys; when given the service
    requires client authorisation (``Flags=V3Auth``).
    """
    command = add_onion_command(key, target_port, pow_defences=pow_defences, client_keys=client_keys)
    reply = controller.msg(command)  # msg() does not raise on 5xx
    if not reply.is_ok():
        code, _, message = reply.content()[0]
        raise PublishFailed(f"tor refused to publish the {label} onion: {code} {message}")
    service_ids = [line.split("=", 1)[1] for line in reply
                   if isinstance(line, str) and line.startswith("ServiceID=")]
    if service_ids != [key.address]:
        raise PublishFailed(f"tor published the {label} onion under an unexpected address; "
                            "the key file may be corrupt")
    return key.hostname


def publish_reporter(controller: stem.control.Controller, key: OnionServiceKey,
                     target_port: int) -> str:
    """Publish the public reporter onion, with proof-of-work DoS defences."""
    return add_onion(controller, key, target_port, label="reporter", pow_defences=True)


def publish_investigator(controller: stem.control.Controller, key: OnionServiceKey,
                         target_port: int, client_keys: Sequence[str]) -> str:
    """Publish the investigator onion, reachable only by clients with these public keys.

    Proof-of-work is left off: a client without a key cannot even find the
    introduction points, so there is nothing to flood, and staff are spared
    the solving delay.
    Security: raises NoInvestigatorClients rather than publish without client auth.
    """
    if not client_keys:
        raise NoInvestigatorClients()
    return add_onion(controller, key, target_port, label="investigator", pow_defences=False,
                     client_keys=client_keys)


def remove_onion(controller: stem.control.Controller, hostname: str) -> None:
    """DEL_ONION (best effort: tor drops ephemeral services on disconnect anyway)."""
    with contextlib.suppress(stem.ControllerError):
        controller.msg(f"DEL_ONION {hostname.removesuffix('.onion')}")


class UploadWatcher:
    """Tracks which onions tor has uploaded a descriptor for (HS_DESC UPLOADED events).

    ``on_change`` is called (from stem's event thread) whenever an onion is first seen
    uploaded, so a supervisor can record it.
    """

    def __init__(self, controller: stem.control.Controller,
                 on_change: Callable[[], None] | None = None) -> None:
        self._controller = controller
        self._on_change = on_change
        self._uploaded: set[str] = set()
        self._changed = threading.Condition()
        controller.add_event_listener(self._on_event, stem.control.EventType.HS_DESC)

    def _on_event(self, event: stem.response.events.HSDescEvent) -> None:
        if event.action != stem.HSDescAction.UPLOADED:
            return
        with self._changed:
            new = event.address not in self._uploaded
            self._uploaded.add(event.address)
            self._changed.notify_all()
        if new and self._on_change is not None:
            self._on_change()

    def uploaded(self, hostname: str) -> bool:
        """True once a descriptor of this onion has reached an HSDir."""
        with self._changed:
            return hostname.removesuffix(".onion") in self._uploaded

    def forget(self, hostname: str) -> None:
        """Wait for a fresh upload of this onion (after it is republished)."""
        with self._changed:
            self._uploaded.discard(hostname.removesuffix(".onion"))

    def wait(self, hostnames: Iterable[str], timeout: float) -> None:
        """Block until every hostname's descriptor is uploaded; PublishFailed at timeout."""
        wanted = {h.removesuffix(".onion") for h in hostnames}
        deadline = time.monotonic() + timeout
        with self._changed:
            while not wanted <= self._uploaded:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PublishFailed(
                        f"tor did not upload the onion descriptors within {timeout:.0f} s; "
                        "is it connected to the Tor network? (see its log)")
                self._changed.wait(left)

    def close(self) -> None:
        """Stop listening for descriptor events (nothing to do if tor has already gone).

        On Ctrl-C in a terminal, tor gets the same SIGINT as we do and may exit first.
        """
        with contextlib.suppress(stem.SocketClosed, stem.ControllerError):
            self._controller.remove_event_listener(self._on_event)


def published_pow_params(controller: stem.control.Controller, hostname: str) -> str | None:
    """The ``pow-params`` line of the descriptor tor publishes for our service, or None.

    Reads the service's own descriptor over the control port and decrypts it
    (stem needs the ``cryptography`` package for this), so it shows what
    clients really see, not just what we asked for.
    """
    address = hostname.removesuffix(".onion")
    reply = controller.msg(f"GETINFO hs/service/desc/id/{address}")
    if not reply.is_ok():
        raise TorError(f"tor has no descriptor for {hostname} yet")
    text = str(reply).split("=", 1)[1].rsplit("\nOK", 1)[0]
    try:
        inner = HiddenServiceDescriptorV3.from_str(text).decrypt(address)
    except ImportError as exc:
        raise TorError("checking the descriptor needs the 'cryptography' package") from exc
    lines = [line for line in str(inner).splitlines() if line.startswith("pow-params ")]
    return lines[0] if lines else None
