"""Friendly exceptions for everything that can go wrong with Tor.

Each message says what happened and what the operator can do about it, so the
command line can print ``str(exc)`` as it is and never a stack trace.
"""

from __future__ import annotations

MIN_TOR_VERSION = "0.4.8.1"
"""Oldest tor with onion-service proof-of-work (``PoWDefensesEnabled``)."""


class TorError(Exception):
    """Base class of every error raised by onion_config."""


class TorMissing(TorError):
    """The tor executable (or tor-gencert, for the test network) is not installed."""

    def __init__(self, command: str) -> None:
        super().__init__(
            f"Could not find the program {command!r}. Install Tor from your distribution "
            "(Debian/Ubuntu: run `sudo scripts/install_tor.sh`, or `apt-get install tor`) "
            "and try again."
        )
        self.command = command


class TorTooOld(TorError):
    """The tor in use predates onion-service proof-of-work defences."""

    def __init__(self, found: str) -> None:
        super().__init__(
            f"Tor {found} is too old: this service needs Tor {MIN_TOR_VERSION} or newer for "
            "onion-service proof-of-work DoS defences. Install a current tor "
            "(Debian 12 backports or the Tor Project's packages) and try again."
        )
        self.found = found


class ControlPortRefused(TorError):
    """We could not connect or authenticate to tor's control port."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(
            f"Tor's control port at {where} refused us: {reason}. Check that tor is running "
            "with `ControlPort` set and `CookieAuthentication 1` (and that this user may read "
            "the cookie file, e.g. is in the debian-tor group), or pass the control password "
            "file that matches `HashedControlPassword`."
        )
        self.where = where
        self.reason = reason


class TorStartFailed(TorError):
    """A tor process we launched exited or did not become ready in time."""

    def __init__(self, what: str, log_tail: str) -> None:
        tail = f"\nLast lines of its log:\n{log_tail}" if log_tail else ""
        super().__init__(f"{what}{tail}")
        self.log_tail = log_tail


class NetworkStopped(TorError):
    """The private test network was told to stop while it was still starting."""

    def __init__(self) -> None:
        super().__init__("the private Tor network was stopped while it was starting")


class LoopbackDown(TorError):
    """127.0.0.1 takes no connections, so the private network's nodes cannot reach each other."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"Nothing can connect to 127.0.0.1 here ({reason}), so the private Tor network "
            "cannot form. In a new network namespace the loopback interface starts down: bring "
            "it up first (`ip link set lo up`, e.g. `unshare -n sh -c 'ip link set lo up && "
            "bash scripts/start.sh'`)."
        )


class PublishFailed(TorError):
    """Tor refused to publish an onion service (ADD_ONION failed)."""


class OnionKeyError(TorError):
    """An onion service key or client-auth key file is missing, malformed or unsafe."""


class UnsafeTorConfig(TorError):
    """A torrc meant for the private test network could reach the public Tor network.

    Security: raised before any tor process is started with such a file, so a
    development or CI machine never contacts the public network (invariant 8).
    """


class NoInvestigatorClients(TorError):
    """The investigator onion would have no authorised client."""

    def __init__(self) -> None:
        super().__init__(
            "No investigator client is authorised yet, so the investigator onion cannot be "
            "published. Create one first (e.g. `python run.py keys onion-client add NAME`) "
            "and import the printed key into that investigator's Tor Browser."
        )
