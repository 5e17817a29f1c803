"""Receipt-bound throughput: submissions and check-backs over HTTP against bare argon2id.

Prints, in one run on this machine: bare argon2id derivations per second (with as many
threads as the server's KDF pool), submissions per second and check-backs per second over
HTTP from 4 concurrent clients against the real server process, and each ratio to bare.
Targets: submissions ≥ 0.8, check-backs ≥ 0.85.

    python bench/bench_receipts.py [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server_process import served
from dropbox_server.config import Settings
from receipt_codes import KdfParams, derive_reporter_secrets, generate_receipt
from tests.journeys import Reporter

CLIENTS = 4


def bare_argon2id_per_second(seconds: float, workers: int) -> float:
    """Derivations per second with `workers` threads, the same work the server does per receipt."""
    params, pepper = KdfParams(), os.urandom(32)
    receipts = [generate_receipt() for _ in range(64)]
    deadline = time.perf_counter() + seconds

    def worker(offset: int) -> int:
        done = 0
        while time.perf_counter() < deadline:
            derive_reporter_secrets(receipts[(offset + done) % 64], pepper, params)
            done += 1
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        total = sum(pool.map(worker, range(workers)))
    return total / (time.perf_counter() - started)


async def drive(base: str, seconds: float, receipts: list[str] | None) -> tuple[int, float, list[str]]:
    """Run CLIENTS loops of submissions (receipts is None) or check-backs; count successes."""
    made: list[str] = []
    count = 0
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal count
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            reporter = Reporter(http, base)
            i = n
            while time.perf_counter() < deadline:
                if receipts is None:
                    made.append(await reporter.submit_ok())
                else:
                    resp = await reporter.check(receipts[i % len(receipts)])
                    assert resp.status == 303 and resp.headers["Location"].startswith("/thread")
                    http.cookie_jar.clear()
                i += CLIENTS
                count += 1
                reporter.pages.clear()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return count, time.perf_counter() - started, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    workers = Settings.for_data_dir("/nonexistent").kdf_workers
    print(f"machine: {os.cpu_count()} cores; argon2id t=3 m=64MiB p=4; KDF pool {workers} threads")
    bare = bare_argon2id_per_second(args.seconds, workers)
    print(f"bare argon2id:         {bare:7.2f} derivations/s")
    with tempfile.TemporaryDirectory() as tmp, served(Path(tmp) / "data") as server:
        n, elapsed, receipts = asyncio.run(drive(server.reporter_url, args.seconds, None))
        submit_rate = n / elapsed
        n, elapsed, _ = asyncio.run(drive(server.reporter_url, args.seconds, receipts))
        check_rate = n / elapsed
    print(f"submissions over HTTP: {submit_rate:7.2f} /s  ratio {submit_rate / bare:.2f} (target ≥ 0.80)")
    print(f"check-backs over HTTP: {check_rate:7.2f} /s  ratio {check_rate / bare:.2f} (target ≥ 0.85)")


if __name__ == "__main__":
    main()
