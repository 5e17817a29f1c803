"""Start tor processes that die with us, and reach tor's control port with stem.

Why not ``stem.process.launch_tor_with_config``: it cannot pass
``--defaults-torrc`` (so a system-wide torrc-defaults could leak into our
configuration) and its timeout only works on the main thread. We spawn tor
ourselves with exactly our files, then do all control work through stem.

Security: every tor gets ``--defaults-torrc <empty file>``, ``-f <our torrc>``
and ``__OwningControllerProcess <our pid>``; its control connection takes
ownership too, so tor exits when we exit or drop the connection.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import stem
import stem.connection
import stem.control
import stem.version

from onion_config import torrc
from onion_config.errors import (
    MIN_TOR_VERSION,
    ControlPortRefused,
    TorMissing,
    TorStartFailed,
    TorTooOld,
)

_PR_SET_PDEATHSIG = 1


def find_program(command: str) -> str:
    """Return the full path of a program, or raise TorMissing."""
    path = shutil.which(command)
    if path is None:
        raise TorMissing(command)
    return path


def check_tor_version(tor_cmd: str = "tor") -> stem.version.Version:
    """Return the installed tor's version; raise TorMissing or TorTooOld."""
    path = find_program(tor_cmd)
    try:
        version = stem.version.get_system_tor_version(path)
    except OSError as exc:
        raise TorMissing(tor_cmd) from exc
    if version < stem.version.Version(MIN_TOR_VERSION):
        raise TorTooOld(str(version))
    return version


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (torrcs name key and cookie paths)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A preexec hook that asks Linux to SIGTERM the child when this thread exits."""
    if threading.current_thread() is not threading.main_thread():
        return None  # PDEATHSIG follows the forking *thread*; only the main thread is safe
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return hook


def spawn_tor(tor_cmd: str, torrc_path: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start tor with only our torrc and an empty defaults file; output goes to log_path."""
    tor = find_program(tor_cmd)
    defaults = torrc_path.with_name(torrc_path.name + "-defaults")
    write_private(defaults, "")
    args = [
        tor,
        "--defaults-torrc",
        str(defaults),
        "-f",
        str(torrc_path),
        "__OwningControllerProcess",
        str(os.getpid()),
    ]
    hook = _die_with_parent_hook()
    with open(log_path, "ab") as log:
        return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=hook,
        )


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Terminate a process we started and reap it; kill it if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=grace)


def log_tail(log_path: Path, lines: int = 15) -> str:
    """The last lines of a tor log, for error messages."""
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class LaunchedTor:
    """A tor process we own, with an authenticated stem controller to it."""

    process: subprocess.Popen[bytes]
    controller: stem.control.Controller
    workdir: Path
    log_path: Path
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        """Close the control connection and stop the process (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if self.controller.is_alive():  # closing a dead one can block on stem's send lock
            with contextlib.suppress(Exception):
                self.controller.close()
        stop_process(self.process)


def launch(
    torrc_options: list[torrc.Option],
    workdir: Path,
    *,
    tor_cmd: str = "tor",
    timeout: float = 60.0,
    wait_bootstrap: bool = True,
    testnet: bool = False,
) -> LaunchedTor:
    """Start a tor we own from these options and return it with a live controller.

    ``workdir`` holds torrc, the control-port file and the log. With
    ``testnet=True`` the torrc must pass :func:`torrc.check_private_testnet`.
    Raises TorMissing, TorTooOld, TorStartFailed or ControlPortRefused.
    """
    check_tor_version(tor_cmd)
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(workdir, 0o700)
    port_file = workdir / "control_port"
    port_file.unlink(missing_ok=True)
    options = torrc.merge(torrc_options, [("ControlPortWriteToFile", str(port_file))])
    text = torrc.render(options)
    if testnet:
        torrc.check_private_testnet(text)
    torrc_path = workdir / "torrc"
    write_private(torrc_path, text)
    log_path = workdir / "tor.log"
    process = spawn_tor(tor_cmd, torrc_path, log_path)
    deadline = time.monotonic() + timeout
    try:
        controller = _connect_launched(process, port_file, log_path, deadline)
        launched = LaunchedTor(process, controller, workdir, log_path)
        # Security: tor exits as soon as this control connection closes.
        controller.msg("TAKEOWNERSHIP")
        if wait_bootstrap:
            wait_bootstrapped(launched, deadline)
    except BaseException:
        stop_process(process)
        raise
    return launched


def _connect_launched(
    process: subprocess.Popen[bytes], port_file: Path, log_path: Path, deadline: float
) -> stem.control.Controller:
    while True:
        if process.poll() is not None:
            raise TorStartFailed(f"tor exited with status {process.returncode} at start", log_tail(log_path))
        text = port_file.read_text() if port_file.exists() else ""
        if text.endswith("\n") and "PORT=" in text:
            break
        if time.monotonic() > deadline:
            raise TorStartFailed("tor did not open its control port in time", log_tail(log_path))
        time.sleep(0.05)
    host, _, port = text.strip().split("PORT=", 1)[1].rpartition(":")
    if host != torrc.LOOPBACK:
        raise ControlPortRefused(text.strip(), "control port is not on 127.0.0.1")
    return attach(host, int(port))


def wait_bootstrapped(launched: LaunchedTor, deadline: float) -> None:
    """Block until tor reports 100% bootstrap, or raise TorStartFailed at the deadline."""
    last = ""
    while time.monotonic() < deadline:
        if launched.process.poll() is not None:
            raise TorStartFailed("tor exited while bootstrapping", log_tail(launched.log_path))
        last = launched.controller.get_info("status/bootstrap-phase", "")
        if "PROGRESS=100" in last:
            return
        time.sleep(0.1)
    raise TorStartFailed(f"tor did not finish bootstrapping in time ({last})", log_tail(launched.log_path))


def attach(
    host: str = torrc.LOOPBACK,
    port: int = 9051,
    *,
    socket_path: Path | None = None,
    password: str | None = None,
) -> stem.control.Controller:
    """Connect and authenticate to a tor control port (cookie, or password if given).

    Raises ControlPortRefused with an actionable message, TorTooOld if that tor
    predates proof-of-work defences.
    """
    where = str(socket_path) if socket_path else f"{host}:{port}"
    _probe(host, port, socket_path, where)
    try:
        with warnings.catch_warnings():
            # stem 1.8.2 still calls Thread.setDaemon(); harmless, and not ours to fix.
            warnings.filterwarnings("ignore", r"setDaemon\(\) is deprecated", DeprecationWarning)
            if socket_path is not None:
                controller = stem.control.Controller.from_socket_file(str(socket_path))
            else:
                controller = stem.control.Controller.from_port(address=host, port=port)
    except stem.SocketError as exc:
        raise ControlPortRefused(where, str(exc) or "connection refused") from exc
    try:
        controller.authenticate(password=password)
    except (stem.connection.AuthenticationFailure, stem.SocketError) as exc:
        controller.close()
        raise ControlPortRefused(where, str(exc) or type(exc).__name__) from exc
    version = controller.get_version()
    if version < stem.version.Version(MIN_TOR_VERSION):
        controller.close()
        raise TorTooOld(str(version))
    return controller


def _probe(host: str, port: int, socket_path: Path | None, where: str) -> None:
    """Fail fast with advice if nothing listens (stem would also leak its socket)."""
    family = socket.AF_UNIX if socket_path is not None else socket.AF_INET
    address: str | tuple[str, int] = str(socket_path) if socket_path else (host, port)
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(5)
        try:
            probe.connect(address)
        except OSError as exc:
            raise ControlPortRefused(where, exc.strerror or str(exc)) from None
