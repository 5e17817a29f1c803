"""Start the real service as a separate process on a fresh data directory, for benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.custodian_keys import save_shares

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    reporter_url: str
    investigator_url: str
    data_dir: Path


def run_cli(args: list[str], stdin: str = "", env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args],
        input=stdin.encode(),
        capture_output=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        check=True,
    )
    return done.stdout.decode()


@contextmanager
def served(data_dir: Path, env: dict[str, str] | None = None, *, initialise: bool = True) -> Iterator[Server]:
    """`run.py init` (unless the directory exists) then `run.py serve --no-tor`; stopped on exit."""
    if initialise:
        save_shares(data_dir, run_cli(["init", "--data-dir", str(data_dir)], "", env))
    rport, iport = free_port(), free_port()
    # The server's own output is kept beside the data directory so leak checks can read it.
    log = (data_dir.parent / "server.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "serve",
            "--no-tor",
            "--data-dir",
            str(data_dir),
            "--reporter-port",
            str(rport),
            "--investigator-port",
            str(iport),
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", rport), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)
        yield Server(process, f"http://127.0.0.1:{rport}", f"http://127.0.0.1:{iport}", data_dir)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        log.close()
