"""`run.py demo` as a child process: start it, wait (bounded) for its ready lines, stop it."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "Ctrl-C stops everything."
CHEAP_KDF = "1,8192,1"


@dataclass
class DemoProcess:
    """A running demo and every line it has printed so far."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _pump: threading.Thread | None = None

    def wait_ready(self, timeout: float, what: str = "demo") -> str:
        """Every line up to and including the ready line; AssertionError with the output if not."""
        self.wait_for(READY_LINE, timeout, what)
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float, what: str = "demo") -> str:
        """The first printed line containing text; AssertionError with the output if none came."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(left, 0.01))
            except queue.Empty:
                line = ""
                if left <= 0:
                    raise AssertionError(
                        f"{what}: no line with {text!r} in time:\n" + "".join(self.lines[-40:])
                    ) from None
            if line is None:
                raise AssertionError(
                    f"{what}: exited with {self.process.wait()} before {text!r}:\n" + "".join(self.lines[-40:])
                )
            if line:
                self.lines.append(line)
                if text in line:
                    return line

    def rest_of_output(self, timeout: float = 10.0) -> str:
        """Everything printed, once the process has exited and its pipe is drained."""
        if self._pump is not None:
            self._pump.join(timeout=timeout)
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return "".join(self.lines)
            if line:
                self.lines.append(line)

    def value(self, pattern: str) -> str:
        """The first group of the first printed line matching pattern."""
        for line in self.lines:
            match = re.search(pattern, line)
            if match:
                return match.group(1)
        raise AssertionError(f"the demo printed no line matching {pattern!r}")

    def stop(self, timeout: float = 60.0) -> int:
        """SIGINT, as Ctrl-C would; kill if it lingers. Returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        status = self.process.wait()
        if self._pump is not None:
            self._pump.join(timeout=10)  # it ends at the pipe's end of file
        if self.process.stdout is not None:
            self.process.stdout.close()
        return status


def start_demo(workdir: Path, ports: tuple[int, int], *, readme_command: bool = False) -> DemoProcess:
    """Start `run.py demo` on workdir on these site ports, with cheap argon2id (tests only).

    With readme_command, start it exactly as the README's first command does
    (`bash scripts/start.sh`, which installs what is missing first) on the demo's own costs.
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("TIPDROP_KDF", None)
    if readme_command:
        command = ["bash", str(ROOT / "scripts" / "start.sh")]
    else:
        env["TIPDROP_KDF"] = CHEAP_KDF
        command = [sys.executable, str(ROOT / "run.py"), "demo"]
    process = subprocess.Popen(
        [*command, "--workdir", str(workdir), "--reporter-port", str(ports[0]),
         "--investigator-port", str(ports[1])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
    )
    demo = DemoProcess(process)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            demo._queue.put(line)
        demo._queue.put(None)

    demo._pump = threading.Thread(target=pump, daemon=True)
    demo._pump.start()
    return demo
