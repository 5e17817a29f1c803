"""Ctrl-C or SIGTERM while the demo's private network is still building stops the demo at
once: the usual interrupted message, no traceback, and no tor (or tor-gencert) of its work
directory left running.

The bound below is a bound on a hang, set well under the network's own minimum time (its
first consensus is scheduled 10 s after the nodes start), so a demo that waits for the
build to finish cannot pass. Nothing here measures speed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from onion_config.testnet import free_loopback_ports
from tests.onion.demo_process import DemoProcess, start_demo

pytestmark = pytest.mark.tor

BUILDING_LINE = "Building a private Tor network"
EXIT_BOUND = 6.0  # seconds from the signal; the network alone needs more than 10
NODES = 6  # three authorities and three relays
START_TIMEOUT = 120.0  # a bound on a hung start


def _processes_naming(path: Path) -> dict[int, str]:
    """Every live process (but this one) whose command line names path: pid -> command line."""
    found = {}
    needle = str(path).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes()
            if needle in cmdline:
                found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def _wait_for(demo: DemoProcess, network_dir: Path, pattern: str, count: int) -> None:
    """Until `count` files matching pattern are in the network's directory, or the demo ended."""
    deadline = time.monotonic() + START_TIMEOUT
    while len(list(network_dir.glob(pattern))) < count:
        assert demo.process.poll() is None, "the demo ended first:\n" + "".join(demo.lines)
        assert time.monotonic() < deadline, "the network's nodes never started:\n" + "".join(demo.lines)
        time.sleep(0.1)


@pytest.mark.parametrize("moment", ["line", "keys", "nodes"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_network_builds_stops_the_demo_at_once(
    tmp_path: Path, signum: signal.Signals, moment: str
) -> None:
    workdir = tmp_path / "demo"
    ports = free_loopback_ports(2)
    demo = start_demo(workdir, (ports[0], ports[1]))
    try:
        demo.wait_for(BUILDING_LINE, START_TIMEOUT)
        network_dir = workdir / "tor-network"
        if moment == "keys":
            # The build has begun: tor-gencert makes the authorities' keys.
            _wait_for(demo, network_dir, "node*/keys", 1)
        elif moment == "nodes":
            # Past the keys: every node's tor runs (its log exists); the consensus poll waits.
            _wait_for(demo, network_dir, "*.log", NODES)
        demo.process.send_signal(signum)
        sent = time.monotonic()
        try:
            status = demo.process.wait(timeout=EXIT_BOUND)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the demo did not stop within {EXIT_BOUND} s of {signum.name}")
        print(f"{signum.name} at {moment}: stopped {time.monotonic() - sent:.1f} s after the signal")
        output = demo.rest_of_output()
        assert status == 130, output
        assert "interrupted" in output, output
        assert "Traceback" not in output, output
        left = _processes_naming(workdir)
        assert not left, f"left running after the demo stopped: {left}"
    finally:
        demo.stop(timeout=30)
        # On a failure (the old code): end what the demo left behind, ours by its work dir only.
        for pid in _processes_naming(workdir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
