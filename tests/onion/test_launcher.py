"""Friendly failures: tor missing, too old, control port refusing, no investigator client."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from onion_config import (
    ControlPortRefused,
    NoInvestigatorClients,
    TorMissing,
    TorSettings,
    TorTooOld,
    serve_onions,
)
from onion_config.launcher import attach, check_tor_version


def fake_tor(tmp_path: Path, version: str) -> str:
    path = tmp_path / "tor"
    path.write_text(f"#!/bin/sh\necho 'Tor version {version}.'\n")
    path.chmod(0o755)
    return str(path)


def test_missing_tor_is_reported_with_advice() -> None:
    with pytest.raises(TorMissing, match=r"install_tor\.sh"):
        check_tor_version("tor-that-does-not-exist")


def test_old_tor_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TorTooOld, match=r"0\.4\.7\.16 is too old"):
        check_tor_version(fake_tor(tmp_path, "0.4.7.16"))


def test_current_tor_is_accepted(tmp_path: Path) -> None:
    assert str(check_tor_version(fake_tor(tmp_path, "0.4.9.11"))) == "0.4.9.11"


def test_closed_control_port_is_reported() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ControlPortRefused, match="CookieAuthentication"):
        attach("127.0.0.1", port)


def test_serve_refuses_without_investigator_clients(tmp_path: Path) -> None:
    settings = TorSettings(mode="attach", control_port=1)
    with pytest.raises(NoInvestigatorClients, match="onion-client add"), serve_onions(
        tmp_path, 8080, 8081, settings
    ):
        pass
