"""`run.py demo` becomes ready on every start on one work directory, not just the first three.

Each start builds a private network with new relay identities; an onion tor that kept its
state from earlier networks filled its guard sample with relays that no longer exist and
never found a first hop again on the fourth start.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from onion_config.testnet import free_loopback_ports
from tests.onion.demo_process import start_demo
from tests.onion.socks import get_through_tor

pytestmark = pytest.mark.tor

STARTS = 5
READY_TIMEOUT = 180.0  # a bound on a hung start, not a speed target


async def test_demo_starts_five_times_on_one_workdir(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    addresses = []
    for start in range(STARTS):
        ports = free_loopback_ports(2)
        demo = start_demo(workdir, (ports[0], ports[1]))
        try:
            demo.wait_ready(READY_TIMEOUT, f"start {start + 1} of {STARTS}")
            socks_port = int(demo.value(r"SOCKS proxy:\s+socks5h://127\.0\.0\.1:(\d+)"))
            reporter_url = demo.value(r"Reporter site:\s+(http://\S+\.onion/)")
            status, page = await get_through_tor(socks_port, reporter_url)
            assert status == 200, f"start {start + 1}"
            assert "Report corruption" in page
            addresses.append(reporter_url)
        finally:
            assert demo.stop() in (0, 130), "".join(demo.lines[-20:])
    assert len(set(addresses)) == 1  # the same onion every time
