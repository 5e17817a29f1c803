"""A complete private Tor network on 127.0.0.1 for the demo and the tests.

Three directory authorities (keys from ``tor-gencert``, fingerprints from
``tor --list-fingerprint``) and three non-exit relays. The authorities'
first consensus is scheduled (``first_voting_offset``) for when every relay
has sent its descriptor, so it already lists all six. Onion-service and
client tors join through :meth:`PrivateTorNetwork.launch_tor` once every
authority serves that consensus (earlier, they fail to build circuits for
tens of seconds); the relays are woken to fetch it at the same moment.

Security: every torrc written here passes ``torrc.check_private_testnet``
before tor sees it (invariant 8); no node is an exit; everything binds to
127.0.0.1; every process is ours and is stopped by :meth:`stop`.

A start can be cancelled from another thread (the ``cancel`` event): every wait in it
(tor-gencert, the consensus poll) checks the event, stops what was spawned and raises
NetworkStopped, so Ctrl-C on the demo never waits for a network nobody wants.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from onion_config import launcher, torrc
from onion_config.errors import LoopbackDown, NetworkStopped, TorStartFailed

_CONSENSUS_PATH = "/tor/status-vote/current/consensus"
_POLL = 0.2  # seconds between looks at a helper program, the consensus, or the cancel event


@dataclass(frozen=True)
class _Node:
    nickname: str
    or_port: int
    dir_port: int
    data_dir: Path
    is_authority: bool


@dataclass
class TorClient:
    """A client tor on the private network: SOCKS5 on 127.0.0.1 plus a controller."""

    launched: launcher.LaunchedTor
    socks_port: int
    auth_dir: Path

    @property
    def socks_url(self) -> str:
        """The proxy URL for curl and HTTP clients (hostnames resolved by tor)."""
        return f"socks5h://{torrc.LOOPBACK}:{self.socks_port}"

    def stop(self) -> None:
        """Stop this client tor."""
        self.launched.stop()


def free_loopback_ports(count: int) -> list[int]:
    """Ask the kernel for `count` distinct free TCP ports on 127.0.0.1."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((torrc.LOOPBACK, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def check_loopback() -> None:
    """Raise LoopbackDown unless a connection to 127.0.0.1 is accepted.

    A listener binds to 127.0.0.1 even while the loopback interface is down (a new network
    namespace), but every connection then fails: tor would log vote-upload warnings until the
    deadline instead of saying why.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((torrc.LOOPBACK, 0))
        listener.listen(1)
        try:
            with socket.create_connection(listener.getsockname(), timeout=5):
                pass
        except OSError as exc:
            raise LoopbackDown(exc.strerror or type(exc).__name__) from None


class PrivateTorNetwork:
    """Directory authorities and relays of a private network; start() builds, stop() ends."""

    def __init__(
        self,
        workdir: Path,
        *,
        authorities: int = 3,
        relays: int = 3,
        tor_cmd: str = "tor",
        gencert_cmd: str = "tor-gencert",
        first_consensus_after: float = 10.0,
        cancel: threading.Event | None = None,
    ) -> None:
        if authorities < 3 or relays < 3:
            # Measured: with fewer nodes onion services were never reachable.
            raise ValueError("the private network needs at least 3 authorities and 3 relays")
        self.workdir = workdir.resolve()
        self.tor_cmd = tor_cmd
        self.gencert_cmd = gencert_cmd
        ports = free_loopback_ports(2 * (authorities + relays))
        self._nodes = [
            _Node(
                f"{'auth' if i < authorities else 'relay'}{i}",
                ports[2 * i],
                ports[2 * i + 1],
                self.workdir / f"node{i}",
                i < authorities,
            )
            for i in range(authorities + relays)
        ]
        self.geoip_file = self.workdir / "geoip-empty"
        self.authorities: list[torrc.AuthorityEntry] = []
        self._processes: list[tuple[_Node, subprocess.Popen[bytes]]] = []
        self._launched: list[launcher.LaunchedTor] = []
        self.first_consensus_after = first_consensus_after
        self._cancel = cancel if cancel is not None else threading.Event()
        self.keys_seconds: float | None = None
        self.bootstrap_seconds: float | None = None

    # -- lifecycle -------------------------------------------------------

    def start(self, timeout: float = 120.0) -> None:
        """Create keys, start every node, and wait until each serves a full consensus.

        Raises LoopbackDown if 127.0.0.1 takes no connections, TorMissing if tor or
        tor-gencert is absent, TorStartFailed with the failing node's log when a node exits
        or the deadline passes, NetworkStopped (every node already stopped) once the
        ``cancel`` event is set.
        """
        began = time.monotonic()
        check_loopback()
        launcher.check_tor_version(self.tor_cmd)
        launcher.find_program(self.gencert_cmd)
        self.workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        launcher.write_private(self.geoip_file, "")
        try:
            # Each authority's RSA identity key takes tor-gencert seconds: make them side by side.
            with ThreadPoolExecutor(thread_name_prefix="gencert") as pool:
                self.authorities = list(pool.map(self._make_authority_keys,
                                                 [n for n in self._nodes if n.is_authority]))
            self.keys_seconds = time.monotonic() - began
            self._check_cancel()
            offset = first_voting_offset(time.time(), self.first_consensus_after)
            for node in self._nodes:
                self._start_node(node, offset)
            self._wait_for_consensus(began + timeout)
        except BaseException:
            self.stop()
            raise
        self.bootstrap_seconds = time.monotonic() - began

    def stop(self) -> None:
        """Stop every tor this network started (services and clients first)."""
        for launched in reversed(self._launched):
            launched.stop()
        self._launched.clear()
        for _, process in self._processes:
            if process.poll() is None:
                process.terminate()
        for _, process in self._processes:
            launcher.stop_process(process)
        self._processes.clear()

    def __enter__(self) -> PrivateTorNetwork:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- joining the network --------------------------------------------

    @property
    def identity(self) -> str:
        """A name for this network (its authorities' keys); every new network has a new one."""
        if not self.authorities:
            raise RuntimeError("start() the network first")
        lines = "\n".join(a.dir_authority_line() for a in self.authorities)
        return hashlib.sha256(lines.encode("ascii")).hexdigest()

    def common_options(self, data_dir: Path) -> list[torrc.Option]:
        """The options a service or client tor needs to join this network."""
        if not self.authorities:
            raise RuntimeError("start() the network first")
        return torrc.testnet_common(self.authorities, data_dir, self.geoip_file)

    def launch_tor(
        self, options: Sequence[torrc.Option], workdir: Path, *, timeout: float = 60.0,
        wait_bootstrap: bool = True,
    ) -> launcher.LaunchedTor:
        """Launch a tor on this network with role options (service or client) laid over.

        The network stops it in :meth:`stop` if the caller has not.
        """
        data_dir = dict(options).get("DataDirectory", str(workdir / "data"))
        merged = torrc.merge(self.common_options(Path(data_dir)), list(options))
        launched = launcher.launch(merged, workdir, tor_cmd=self.tor_cmd, timeout=timeout, testnet=True,
                                   wait_bootstrap=wait_bootstrap)
        self._launched.append(launched)
        return launched

    def start_client(
        self, name: str, auth_private_lines: Sequence[str] = (), *, timeout: float = 60.0
    ) -> TorClient:
        """Start a client tor with a SOCKS port; ``auth_private_lines`` go to its auth dir.

        Each line is in the ``.auth_private`` format
        (``<address>:descriptor:x25519:<base32 key>``).
        """
        workdir = self.workdir / "clients" / name
        auth_dir = workdir / "onion_auth"
        auth_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(auth_dir, 0o700)
        for index, line in enumerate(auth_private_lines):
            launcher.write_private(auth_dir / f"key{index}.auth_private", line.strip() + "\n")
        launched = self.launch_tor(
            torrc.client_options(workdir / "data", workdir / "control_port", auth_dir),
            workdir,
            timeout=timeout,
        )
        listeners = launched.controller.get_info("net/listeners/socks").split()
        host, _, port = listeners[0].strip('"').rpartition(":")
        if host != torrc.LOOPBACK:
            launched.stop()
            raise TorStartFailed(f"client SOCKS port is on {host}, not 127.0.0.1", "")
        return TorClient(launched, int(port), auth_dir)

    # -- internals -------------------------------------------------------

    def _write_torrc(self, node: _Node, options: list[torrc.Option]) -> Path:
        text = torrc.render(options)
        torrc.check_private_testnet(text)  # Security: invariant 8, before tor sees it
        path = node.data_dir.parent / f"{node.nickname}.torrc"
        launcher.write_private(path, text)
        return path

    def _make_authority_keys(self, node: _Node) -> torrc.AuthorityEntry:
        keys = node.data_dir / "keys"
        keys.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(node.data_dir, 0o700)
        cert = keys / "authority_certificate"
        if not cert.exists():
            self._run_helper(
                [
                    launcher.find_program(self.gencert_cmd),
                    "--create-identity-key",
                    "--passphrase-fd",
                    "0",
                    "-m",
                    "12",
                    "-a",
                    f"{torrc.LOOPBACK}:{node.dir_port}",
                    "-i",
                    str(keys / "authority_identity_key"),
                    "-s",
                    str(keys / "authority_signing_key"),
                    "-c",
                    str(cert),
                ],
                stdin=b"\n",
            )
        match = re.search(r"^fingerprint ([0-9A-F]{40})$", cert.read_text(), re.M)
        if match is None:
            raise TorStartFailed(f"tor-gencert wrote no fingerprint to {cert}", "")
        v3ident = match.group(1)
        placeholder = torrc.AuthorityEntry(node.nickname, node.or_port, node.dir_port, v3ident, "0" * 40)
        path = self._write_torrc(
            node, torrc.authority_options(placeholder, [placeholder], node.data_dir, self.geoip_file)
        )
        defaults = path.with_name(path.name + "-defaults")
        launcher.write_private(defaults, "")
        self._run_helper(
            [
                launcher.find_program(self.tor_cmd),
                "--list-fingerprint",
                "--defaults-torrc",
                str(defaults),
                "-f",
                str(path),
                "__OwningControllerProcess",
                str(os.getpid()),
            ],
        )
        fingerprint = (node.data_dir / "fingerprint").read_text().split()[1]
        return torrc.AuthorityEntry(node.nickname, node.or_port, node.dir_port, v3ident, fingerprint)

    def _check_cancel(self) -> None:
        """Raise NetworkStopped if the start was cancelled (start() then stops every node)."""
        if self._cancel.is_set():
            raise NetworkStopped()

    def _run_helper(self, argv: list[str], *, stdin: bytes = b"", timeout: float = 60.0) -> None:
        """Run tor-gencert or `tor --list-fingerprint` to its end, as subprocess.run with
        check=True would, but kill it and raise NetworkStopped as soon as the start is cancelled."""
        self._check_cancel()
        deadline = time.monotonic() + timeout
        with subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ) as process:
            given: bytes | None = stdin
            while True:
                try:
                    out, err = process.communicate(given, timeout=_POLL)
                    break
                except subprocess.TimeoutExpired:
                    given = None  # sent with the first call; a retry may not send it again
                    if self._cancel.is_set() or time.monotonic() > deadline:
                        process.kill()
                        process.communicate()
                        self._check_cancel()
                        raise subprocess.TimeoutExpired(argv, timeout) from None
        if process.returncode:
            raise subprocess.CalledProcessError(process.returncode, argv, out, err)

    def _start_node(self, node: _Node, voting_offset: int) -> None:
        node.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if node.is_authority:
            me = next(a for a in self.authorities if a.nickname == node.nickname)
            options = torrc.authority_options(me, self.authorities, node.data_dir, self.geoip_file,
                                              voting_offset=voting_offset)
        else:
            options = torrc.relay_options(
                node.nickname, node.or_port, node.dir_port, self.authorities, node.data_dir, self.geoip_file
            )
        path = self._write_torrc(node, options)
        log = node.data_dir.parent / f"{node.nickname}.log"
        self._processes.append((node, launcher.spawn_tor(self.tor_cmd, path, log)))

    def _wait_for_consensus(self, deadline: float) -> None:
        """Wait until every authority serves a consensus listing every node, then wake the relays.

        Services and clients bootstrap from the authorities, so they can start now; the relays
        fetch the same consensus meanwhile (SIGHUP ends their 404 back-off at once).
        """
        nicknames = {n.nickname for n in self._nodes}
        pending = [n for n in self._nodes if n.is_authority]
        while pending:
            self._check_cancel()
            for node, process in self._processes:
                if process.poll() is not None:
                    raise TorStartFailed(
                        f"test-network node {node.nickname} exited with {process.returncode}",
                        launcher.log_tail(node.data_dir.parent / f"{node.nickname}.log"),
                    )
            still = []
            for node in pending:
                self._check_cancel()  # each look may take its 2 s timeout
                if not nicknames <= _consensus_nicknames(node.dir_port):
                    still.append(node)
            pending = still
            if not pending:
                break
            if time.monotonic() > deadline:
                node = pending[0]
                raise TorStartFailed(
                    f"private Tor network not ready in time: {node.nickname} (DirPort "
                    f"{node.dir_port}) does not yet serve a consensus listing all "
                    f"{len(nicknames)} relays",
                    launcher.log_tail(node.data_dir.parent / f"{node.nickname}.log"),
                )
            self._cancel.wait(_POLL)
        for node, process in self._processes:
            if not node.is_authority:
                process.send_signal(signal.SIGHUP)


def first_voting_offset(now: float, after: float) -> int:
    """The authorities' voting offset that makes their first consensus about `after` seconds
    from `now` (a Unix time), at the next whole second.

    Measured: tor's own schedule (consensuses on multiples of the interval) made the first one
    0-5 s after start, mostly before the relays had sent their descriptors, so only the
    second, an interval later, listed them all. With a 10 s first interval, every authority,
    however slow its start, picks the same first consensus and votes on it `after` - 4 s
    after start. Relays sent their descriptors 2.5-5 s after start on a loaded 2-core machine:
    with `after` 8, two of three networks at load 3.6 missed them (a whole interval lost);
    with 10, none of three did.
    """
    return math.ceil(now + after) % torrc.VOTING_INTERVAL


def _consensus_nicknames(dir_port: int) -> set[str]:
    """Nicknames in the consensus a node serves on its DirPort (empty if none yet)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = f"http://{torrc.LOOPBACK}:{dir_port}{_CONSENSUS_PATH}"
    try:
        with opener.open(url, timeout=2) as response:
            body = response.read().decode("ascii", "replace")
    except (urllib.error.URLError, OSError):
        return set()
    return set(re.findall(r"^r (\S+) ", body, re.M))
