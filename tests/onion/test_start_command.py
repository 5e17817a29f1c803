"""The README's first command, `bash scripts/start.sh`, as a newcomer runs it: twice on one
work directory, on the demo's own argon2id costs, each start serving the reporter onion.

Also: started where 127.0.0.1 takes no connections (a new network namespace, loopback down),
the demo says so and how to fix it at once, instead of waiting out the network's deadline.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from onion_config.testnet import free_loopback_ports
from tests.onion.demo_process import ROOT, start_demo
from tests.onion.socks import get_through_tor

pytestmark = pytest.mark.tor

READY_TIMEOUT = 180.0  # a bound on a hung start, not a speed target (bench/ measures speed)


async def test_the_readme_start_command_serves_the_reporter_onion_on_two_starts(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    for start in ("first", "second"):
        ports = free_loopback_ports(2)
        demo = start_demo(workdir, (ports[0], ports[1]), readme_command=True)
        try:
            output = demo.wait_ready(READY_TIMEOUT, f"{start} start")
            assert "Traceback" not in output
            socks_port = int(demo.value(r"SOCKS proxy:\s+socks5h://127\.0\.0\.1:(\d+)"))
            reporter_url = demo.value(r"Reporter site:\s+(http://\S+\.onion/)")
            status, page = await get_through_tor(socks_port, reporter_url)
            assert status == 200, f"{start} start"
            assert "Report corruption" in page
            if start == "first":
                # The demo's own costs, not a test override: what a newcomer waits for.
                assert "demo argon2id t=2, 19456 KiB" in output
            print(f"{start} start: {demo.value(r'(Demo ready [0-9.]+ s after start)')}")
        finally:
            assert demo.stop() in (0, 130), "".join(demo.lines[-20:])


def test_the_demo_says_at_once_that_loopback_is_down(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot make a network namespace here (unshare -n not permitted)")
    # A new namespace inside this one: its loopback interface starts down.
    done = subprocess.run(
        [unshare, "-n", sys.executable, str(ROOT / "run.py"), "demo", "--workdir", str(tmp_path / "demo")],
        capture_output=True, text=True, cwd=ROOT, timeout=READY_TIMEOUT,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TIPDROP_KDF": "1,8192,1"},
    )
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "Nothing can connect to 127.0.0.1" in said and "ip link set lo up" in said, said
    assert "Traceback" not in said
    assert not re.search(r"not ready in time", said)
