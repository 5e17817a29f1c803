"""Every torrc the code generates for tests or the demo is private; the gate catches bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from onion_config import UnsafeTorConfig, torrc
from onion_config.testnet import first_voting_offset

AUTHS = [
    torrc.AuthorityEntry(f"auth{i}", 5000 + i, 6000 + i, f"{i:040X}", f"{i + 10:040X}")
    for i in range(3)
]
DATA = Path("/tmp/x")
GEOIP = Path("/tmp/geoip")


def every_testnet_torrc() -> dict[str, str]:
    """One torrc per role, built the way testnet.py and serve_onions(network=...) build them."""
    common = torrc.testnet_common(AUTHS, DATA, GEOIP)
    return {
        "authority": torrc.render(torrc.authority_options(AUTHS[0], AUTHS, DATA, GEOIP)),
        "relay": torrc.render(torrc.relay_options("relay3", 5003, 6003, AUTHS, DATA, GEOIP)),
        "service": torrc.render(torrc.merge(common, torrc.service_options(DATA, DATA / "cp"))),
        "client": torrc.render(torrc.merge(common, torrc.client_options(DATA, DATA / "cp", DATA))),
    }


@pytest.mark.parametrize("role", sorted(every_testnet_torrc()))
def test_generated_torrc_names_only_loopback_authorities(role: str) -> None:
    text = every_testnet_torrc()[role]
    torrc.check_private_testnet(text)
    options = torrc.parse(text)
    assert ("TestingTorNetwork", "1") in options
    assert ("UseDefaultFallbackDirs", "0") in options
    authorities = [v for k, v in options if k == "DirAuthority"]
    assert len(authorities) == 3
    for line in authorities:
        assert " 127.0.0.1:" in line
        assert line.endswith(tuple(a.fingerprint for a in AUTHS))


def test_relays_never_exit() -> None:
    for role in ("authority", "relay"):
        options = torrc.parse(every_testnet_torrc()[role])
        assert ("ExitRelay", "0") in options
        assert ("ExitPolicy", "reject *:*") in options
        assert ("Address", "127.0.0.1") in options


def test_production_service_torrc_is_not_a_test_network() -> None:
    options = torrc.service_options(DATA, DATA / "cp")
    keys = {k for k, _ in options}
    assert "TestingTorNetwork" not in keys and "DirAuthority" not in keys
    assert ("SocksPort", "0") in options
    assert ("ControlPort", "127.0.0.1:auto") in options
    assert ("CookieAuthentication", "1") in options


SAFE = every_testnet_torrc()["relay"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.replace("TestingTorNetwork 1\n", ""), "TestingTorNetwork"),
        (lambda t: t.replace("TestingTorNetwork 1", "TestingTorNetwork 0"), "TestingTorNetwork"),
        (lambda t: t.replace("UseDefaultFallbackDirs 0\n", ""), "UseDefaultFallbackDirs"),
        (lambda t: "\n".join(x for x in t.splitlines() if not x.startswith("DirAuthority")),
         "DirAuthority"),
        (lambda t: t.replace("127.0.0.1:6000", "128.31.0.39:9131"), "not on 127.0.0.1"),
        (lambda t: t + "FallbackDir 45.66.33.45:80 orport=443 id=" + "A" * 40 + "\n",
         "not on 127.0.0.1"),
        (lambda t: t + "AlternateDirAuthority 10.0.0.1:80 " + "B" * 40 + "\n", "not on"),
        (lambda t: t.replace("ORPort 127.0.0.1:5003", "ORPort 5003"), "does not bind"),
        (lambda t: t.replace("DirPort 127.0.0.1:6003", "DirPort 0.0.0.0:6003"), "does not bind"),
        (lambda t: t.replace("SocksPort 0", "SocksPort 0.0.0.0:9050"), "does not bind"),
        (lambda t: t.replace("ExitRelay 0", "ExitRelay 1"), "ExitRelay"),
        (lambda t: t.replace("ExitPolicy reject *:*", "ExitPolicy accept *:*"), "ExitRelay"),
        (lambda t: t.replace("Address 127.0.0.1", "Address 203.0.113.5"), "Address"),
        (lambda t: t + "UseBridges 1\n", "usebridges"),
        (lambda t: t + "Socks5Proxy 127.0.0.1:1080\n", "socks5proxy"),
    ],
)
def test_gate_refuses_unsafe_torrc(change, expected: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnsafeTorConfig, match=expected):
        torrc.check_private_testnet(change(SAFE))


def test_render_refuses_injected_lines() -> None:
    with pytest.raises(ValueError):
        torrc.render([("Nickname", "x\nDirAuthority evil 1.2.3.4:80 " + "A" * 40)])
    with pytest.raises(ValueError):
        torrc.render([("Nick name", "x")])


def test_authority_entry_validates_identities() -> None:
    with pytest.raises(ValueError):
        torrc.AuthorityEntry("auth0", 1, 2, "abc", "0" * 40)
    with pytest.raises(ValueError):
        torrc.AuthorityEntry("bad name", 1, 2, "0" * 40, "0" * 40)


def test_merge_replaces_every_line_of_a_keyword() -> None:
    merged = torrc.merge([("Log", "a"), ("Log", "b"), ("X", "1")], [("Log", "c")])
    assert merged == [("X", "1"), ("Log", "c")]


def test_authorities_vote_on_the_offset_they_are_given() -> None:
    options = torrc.parse(torrc.render(torrc.authority_options(AUTHS[0], AUTHS, DATA, GEOIP, voting_offset=7)))
    assert ("TestingV3AuthVotingStartOffset", "7") in options
    # The first interval is the later ones' length, so no earlier slot is within reach of a slow start.
    assert ("TestingV3AuthInitialVotingInterval", str(torrc.VOTING_INTERVAL)) in options
    assert ("V3AuthVotingInterval", str(torrc.VOTING_INTERVAL)) in options
    for wrong in (-1, torrc.VOTING_INTERVAL):
        with pytest.raises(ValueError):
            torrc.authority_options(AUTHS[0], AUTHS, DATA, GEOIP, voting_offset=wrong)


@pytest.mark.parametrize("now", [1_796_308_954.67, 1_796_308_960.0, 1_796_308_969.99, 86_400.0])
def test_the_first_consensus_is_due_the_chosen_time_after_the_nodes_start(now: float) -> None:
    after = 8.0
    offset = first_voting_offset(now, after)
    assert 0 <= offset < torrc.VOTING_INTERVAL
    # Tor's valid-after times are offset past each multiple of the interval (from midnight UTC).
    first = min(t for t in range(int(now), int(now) + 2 * torrc.VOTING_INTERVAL)
                if t > now and t % torrc.VOTING_INTERVAL == offset)
    assert now + after <= first < now + after + 1
