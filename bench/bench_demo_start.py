"""How long a FIRST `run.py demo` takes to be ready, over N starts in a row (issue 20's bound:
median and max <= 25 s on 2 cores), and whether every start really serves.

Each start gets a fresh work directory and the demo's own argon2id costs, as a newcomer runs it;
the figures are the ones the demo prints itself (its data, its Tor network, ready). After the
ready line the reporter onion is fetched through the demo's SOCKS proxy: a start that does not
serve it within 60 s counts as failed. Reference in the same run, interleaved with the starts:
the bare private Tor network (`PrivateTorNetwork.start()`: authority keys, six tors, the
consensus the demo waits for), whose time is the floor the demo's own work sits on.
Runs itself inside an empty network namespace (loopback only) where `unshare -n` is allowed.

    python bench/bench_demo_start.py [--starts 10] [--bare 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp_socks import ProxyConnector, ProxyError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onion_config.testnet import PrivateTorNetwork, free_loopback_ports  # noqa: E402

READY_LINE = "Ctrl-C stops everything."
READY_TIMEOUT = 180.0
SERVE_TIMEOUT = 60.0


@dataclass
class Start:
    ready: float | None  # "Demo ready N s after start", None if it never was
    network: float | None
    data: float | None
    served_after: float | None  # the first reporter page, seconds after the ready line
    load: float
    output: str


def printed(pattern: str, output: str) -> float | None:
    match = re.search(pattern, output)
    return float(match.group(1)) if match else None


async def first_page(socks_port: int, url: str) -> float | None:
    """Seconds until the reporter onion answers 200 through the demo's client tor (None: never)."""
    began = time.monotonic()
    while time.monotonic() - began < SERVE_TIMEOUT:
        connector = ProxyConnector.from_url(f"socks5://127.0.0.1:{socks_port}", rdns=True)
        try:
            async with aiohttp.ClientSession(connector=connector) as session, session.get(
                url, timeout=aiohttp.ClientTimeout(total=30)
            ) as response:
                if response.status == 200 and "Report corruption" in await response.text():
                    return time.monotonic() - began
        except (ProxyError, TimeoutError, aiohttp.ClientError):
            pass  # a fresh onion's descriptor or introduction points are still settling
        await asyncio.sleep(0.2)
    return None


def pump(process: subprocess.Popen[str], into: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        into.put(line)
    into.put(None)


def one_start(workdir: Path) -> Start:
    """Start the demo on a fresh directory, wait for its ready line, fetch a page, stop it."""
    load = os.getloadavg()[0]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("TIPDROP_KDF", None)  # the demo's own costs
    ports = free_loopback_ports(2)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "demo", "--workdir", str(workdir),
         "--reporter-port", str(ports[0]), "--investigator-port", str(ports[1])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
    )
    lines: list[str] = []
    served = None
    try:
        pending: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=pump, args=(process, pending), daemon=True).start()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = pending.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            lines.append(line)
            if READY_LINE in line:
                break
        output = "".join(lines)
        socks = re.search(r"SOCKS proxy:\s+socks5h://127\.0\.0\.1:(\d+)", output)
        reporter = re.search(r"Reporter site:\s+(http://\S+\.onion/)", output)
        if READY_LINE in output and socks and reporter:
            served = asyncio.run(first_page(int(socks.group(1)), reporter.group(1)))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    output = "".join(lines)
    return Start(printed(r"Demo ready ([0-9.]+) s after start", output),
                 printed(r"Private Tor network ready in ([0-9.]+) s", output),
                 printed(r"Demo data ready ([0-9.]+) s after start", output),
                 served, load, output)


def bare_network(workdir: Path) -> float:
    network = PrivateTorNetwork(workdir)
    try:
        network.start()
    finally:
        network.stop()
    assert network.bootstrap_seconds is not None
    return network.bootstrap_seconds


def spread(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<28} none"
    return (f"{label:<28} min {min(values):5.1f}  median {statistics.median(values):5.1f}  "
            f"max {max(values):5.1f} s   (n={len(values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--bare", type=int, default=3, help="bare network starts (the reference)")
    parser.add_argument("--keep", type=Path, help="keep each start's work directory under this folder")
    args = parser.parse_args()
    starts: list[Start] = []
    bare: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        base = args.keep or Path(tmp)
        for n in range(max(args.starts, args.bare)):
            if n < args.starts:
                workdir = base / f"demo{n}"
                shutil.rmtree(workdir, ignore_errors=True)
                start = one_start(workdir)
                starts.append(start)
                print(f"start {n + 1:2}: ready {start.ready} s (network {start.network} s, data "
                      f"{start.data} s), first page {start.served_after and round(start.served_after, 1)} s "
                      f"after ready; load {start.load:.2f}", flush=True)
                if start.ready is None or start.served_after is None:
                    print("  ".join(start.output.splitlines(keepends=True)[-30:]), flush=True)
            if n < args.bare:
                seconds = bare_network(base / f"bare{n}")
                bare.append(seconds)
                print(f"bare network {n + 1}: {seconds:.1f} s; load {os.getloadavg()[0]:.2f}", flush=True)
    ready = [s.ready for s in starts if s.ready is not None and s.served_after is not None]
    print()
    print(f"{len(ready)} of {len(starts)} first starts ready and serving the reporter onion")
    print(spread("demo ready", ready))
    print(spread("its Tor network", [s.network for s in starts if s.network is not None]))
    print(spread("its data", [s.data for s in starts if s.data is not None]))
    print(spread("first page after ready", [s.served_after for s in starts if s.served_after is not None]))
    print(spread("bare network (reference)", bare))
    print(f"load average (1 min) at each start: {', '.join(f'{s.load:.2f}' for s in starts)}")
    if ready and bare:
        print(f"ratio median demo ready / median bare network: "
              f"{statistics.median(ready) / statistics.median(bare):.2f}")
    return 0 if len(ready) == len(starts) else 1


def in_namespace() -> None:
    """Re-run this benchmark in an empty network namespace with loopback up, where allowed."""
    if os.environ.get("TIPDROP_IN_NETNS") == "1":
        return
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        print("warning: cannot make a network namespace; running on the host network, loopback only",
              file=sys.stderr)
        return
    command = ["unshare", "-n", "env", "TIPDROP_IN_NETNS=1", "sh", "-c",
               'ip link set lo up && exec "$0" "$@"', sys.executable, *sys.argv]
    os.execvp("unshare", command)


if __name__ == "__main__":
    in_namespace()
    sys.exit(main())
