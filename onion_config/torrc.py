"""Pure torrc text generation for every tor this project starts.

Roles: ``authority``, ``relay`` (the private loopback test network), the
onion-service tor (``service_options``, also used in production) and a
client tor with a SOCKS port (tests and the demo). Nothing here touches the
disk or starts a process, so every file can be checked before it is used.

Security: :func:`check_private_testnet` is the gate that keeps invariant 8:
tor on a development or CI machine only ever joins the private network on
127.0.0.1. The test network refuses to start a tor whose file fails it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

Option = tuple[str, str]
"""One torrc line as (keyword, value); keywords may repeat."""

LOOPBACK = "127.0.0.1"

_LISTENERS = frozenset(
    {
        "ORPort",
        "DirPort",
        "SocksPort",
        "ControlPort",
        "MetricsPort",
        "TransPort",
        "NATDPort",
        "DNSPort",
        "HTTPTunnelPort",
        "ExtORPort",
    }
)
_AUTO_OK = frozenset({"SocksPort", "ControlPort"})  # tor binds these to 127.0.0.1 by default
_FINGERPRINT = re.compile(r"^[0-9A-F]{40}$")


@dataclass(frozen=True)
class AuthorityEntry:
    """What every node of the test network needs to know about one directory authority."""

    nickname: str
    or_port: int
    dir_port: int
    v3ident: str
    fingerprint: str

    def __post_init__(self) -> None:
        for name in ("v3ident", "fingerprint"):
            if not _FINGERPRINT.match(getattr(self, name)):
                raise ValueError(f"{name} must be 40 upper-case hex digits")
        if not re.fullmatch(r"[A-Za-z0-9]{1,19}", self.nickname):
            raise ValueError("tor nicknames are 1-19 letters or digits")

    def dir_authority_line(self) -> str:
        """The value of a ``DirAuthority`` option naming this authority on 127.0.0.1."""
        return (
            f"{self.nickname} orport={self.or_port} no-v2 v3ident={self.v3ident} "
            f"{LOOPBACK}:{self.dir_port} {self.fingerprint}"
        )


def render(options: Iterable[Option]) -> str:
    """Render options as torrc text, one ``Keyword value`` a line."""
    lines = []
    for key, value in options:
        if "\n" in key or "\n" in value or not key.isalnum():
            raise ValueError(f"refusing malformed torrc option {key!r}")
        lines.append(f"{key} {value}")
    return "\n".join(lines) + "\n"


def parse(text: str) -> list[Option]:
    """Parse torrc text into options (comments and blank lines dropped)."""
    options: list[Option] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            key, _, value = line.partition(" ")
            options.append((key, value.strip()))
    return options


def testnet_common(authorities: Sequence[AuthorityEntry], data_dir: Path, geoip_file: Path) -> list[Option]:
    """Options every tor of the private network shares, whatever its role.

    Security: ``TestingTorNetwork 1`` with our own 127.0.0.1 authorities and no
    fallback directories means tor has no public address to contact.
    """
    options: list[Option] = [
        ("TestingTorNetwork", "1"),
        ("DataDirectory", str(data_dir)),
        ("UseDefaultFallbackDirs", "0"),
        ("ClientUseIPv6", "0"),
        ("PathsNeededToBuildCircuits", "0.67"),
        ("TestingDirAuthVoteGuard", "*"),
        ("TestingDirAuthVoteHSDir", "*"),
        ("TestingMinExitFlagThreshold", "0"),
        ("V3AuthNIntervalsValid", "2"),
        ("FetchDirInfoEarly", "1"),
        ("FetchDirInfoExtraEarly", "1"),
        # With six relays vanguards-lite stalls circuits for 10-20 s.
        ("VanguardsLiteEnabled", "0"),
        # Every node then advertises 0 bandwidth, always: traffic on 127.0.0.1 is not counted.
        # Measured: counted, one or two nodes had 1 KB/s by the first vote while the rest had
        # none; tor's bandwidth weights then failed ("Bw Weight Failure", Case 3a) and no tor
        # built a circuit until the next consensus (2 of 10 demo starts, 13-16 s lost). All at
        # 0, tor picks nodes uniformly.
        ("CountPrivateBandwidth", "0"),
        ("GeoIPFile", str(geoip_file)),
        ("GeoIPv6File", str(geoip_file)),
        ("ShutdownWaitLength", "0"),
        ("Log", "notice stdout"),
        ("SafeLogging", "1"),
    ]
    options += [("DirAuthority", a.dir_authority_line()) for a in authorities]
    return options


def _relay_role(nickname: str, or_port: int, dir_port: int) -> list[Option]:
    return [
        ("Nickname", nickname),
        ("Address", LOOPBACK),
        ("ORPort", f"{LOOPBACK}:{or_port}"),
        ("DirPort", f"{LOOPBACK}:{dir_port}"),
        ("AssumeReachable", "1"),
        # Security: never an exit; nothing leaves the private network.
        ("ExitRelay", "0"),
        ("ExitPolicy", "reject *:*"),
        ("SocksPort", "0"),
        ("ContactInfo", "private loopback test network"),
    ]


VOTING_INTERVAL = 10
"""Seconds between the test network's consensuses, first one included: tor's floor for a
testing network (twice the 2 s vote and 2 s distribution delays, plus slack)."""


def authority_options(
    me: AuthorityEntry, authorities: Sequence[AuthorityEntry], data_dir: Path, geoip_file: Path,
    *, voting_offset: int = 0,
) -> list[Option]:
    """Torrc options for one directory authority of the private network.

    Consensuses are valid from ``voting_offset`` seconds past each multiple of
    VOTING_INTERVAL (counted from midnight UTC), so the caller chooses when the first one is
    made (see ``testnet.first_voting_offset``).
    """
    if not 0 <= voting_offset < VOTING_INTERVAL:
        raise ValueError(f"the voting offset must be 0 to {VOTING_INTERVAL - 1} s")
    return [
        *testnet_common(authorities, data_dir, geoip_file),
        *_relay_role(me.nickname, me.or_port, me.dir_port),
        ("AuthoritativeDirectory", "1"),
        ("V3AuthoritativeDirectory", "1"),
        ("TestingV3AuthInitialVotingInterval", str(VOTING_INTERVAL)),
        ("TestingV3AuthVotingStartOffset", str(voting_offset)),
        ("TestingV3AuthInitialVoteDelay", "2"),
        ("TestingV3AuthInitialDistDelay", "2"),
        ("V3AuthVotingInterval", str(VOTING_INTERVAL)),
        ("V3AuthVoteDelay", "2"),
        ("V3AuthDistDelay", "2"),
    ]


def relay_options(
    nickname: str,
    or_port: int,
    dir_port: int,
    authorities: Sequence[AuthorityEntry],
    data_dir: Path,
    geoip_file: Path,
) -> list[Option]:
    """Torrc options for one middle (non-exit) relay of the private network."""
    return [*testnet_common(authorities, data_dir, geoip_file), *_relay_role(nickname, or_port, dir_port)]


def service_options(data_dir: Path, control_port_file: Path) -> list[Option]:
    """Torrc options for the tor we launch to host our onion services (production too).

    Onion services are added later over the control port (ADD_ONION), so
    nothing secret is written here. No SOCKS port: this tor serves, it does
    not browse.
    Security: the control port listens on 127.0.0.1 only and needs the cookie.
    """
    return [
        ("DataDirectory", str(data_dir)),
        ("SocksPort", "0"),
        ("ControlPort", f"{LOOPBACK}:auto"),
        ("ControlPortWriteToFile", str(control_port_file)),
        ("CookieAuthentication", "1"),
        ("Log", "notice stdout"),
        ("SafeLogging", "1"),
    ]


def client_options(data_dir: Path, control_port_file: Path, auth_dir: Path) -> list[Option]:
    """Torrc options for a client tor with a SOCKS port (tests and the demo only)."""
    return [
        ("SocksPort", f"{LOOPBACK}:auto ExtendedErrors"),
        ("ClientOnionAuthDir", str(auth_dir)),
        ("ControlPort", f"{LOOPBACK}:auto"),
        ("ControlPortWriteToFile", str(control_port_file)),
        ("CookieAuthentication", "1"),
        ("DataDirectory", str(data_dir)),
    ]


def merge(base: Sequence[Option], overlay: Sequence[Option]) -> list[Option]:
    """Overlay options on base: a keyword present in overlay replaces all its base lines."""
    replaced = {key for key, _ in overlay}
    return [opt for opt in base if opt[0] not in replaced] + list(overlay)


def check_private_testnet(text: str) -> None:
    """Raise UnsafeTorConfig unless this torrc can only join the 127.0.0.1 test network.

    Security: invariant 8. Requires ``TestingTorNetwork 1``, at least one
    directory authority, every authority and fallback on 127.0.0.1, no bridges,
    no default fallbacks, every listener on 127.0.0.1, and relays that never exit.
    """
    from onion_config.errors import UnsafeTorConfig

    options = parse(text)
    values: dict[str, list[str]] = {}
    for key, value in options:
        values.setdefault(key.lower(), []).append(value)

    def problem(msg: str) -> UnsafeTorConfig:
        return UnsafeTorConfig(f"refusing a test-network torrc: {msg}")

    if values.get("testingtornetwork") != ["1"]:
        raise problem("TestingTorNetwork 1 is missing")
    if values.get("usedefaultfallbackdirs") != ["0"]:
        raise problem("UseDefaultFallbackDirs 0 is missing")
    auths = [v for k in ("dirauthority", "alternatedirauthority", "fallbackdir") for v in values.get(k, [])]
    if not values.get("dirauthority"):
        raise problem("no DirAuthority lines (tor would use the public authorities)")
    for line in auths:
        addresses = re.findall(r"(?<![=\w.])(\S+):\d+\b", line)
        if not addresses or any(a != LOOPBACK for a in addresses):
            raise problem(f"authority or fallback not on {LOOPBACK}: {line!r}")
    for key in (
        "bridge",
        "usebridges",
        "clienttransportplugin",
        "proxy",
        "socks5proxy",
        "httpsproxy",
        "socks4proxy",
        "tcpproxy",
    ):
        if key in values and values[key] != ["0"]:
            raise problem(f"{key} is not allowed")
    for key, value in options:
        if key in _LISTENERS:
            _check_listener(key, value, problem)
    if values.get("address", [LOOPBACK]) != [LOOPBACK]:
        raise problem("Address must be 127.0.0.1")
    is_relay = "orport" in values and values["orport"] != ["0"]
    if is_relay and (values.get("exitrelay") != ["0"]
                     or values.get("exitpolicy") != ["reject *:*"]):
        raise problem("a relay must have ExitRelay 0 and ExitPolicy reject *:*")


def _check_listener(key: str, value: str, problem: Callable[[str], Exception]) -> None:
    addr = value.split()[0] if value else ""
    ok = (
        addr == "0"
        or addr.startswith(f"{LOOPBACK}:")
        or addr.startswith("unix:")
        or (addr == "auto" and key in _AUTO_OK)
    )
    if not ok:
        raise problem(f"{key} {value!r} does not bind to {LOOPBACK}")
