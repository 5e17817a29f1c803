"""Keep both onions published while `serve` runs: watch tor, restart or reattach, republish.

A thread checks every second that the tor process (when we launched it) is alive and
that the control connection is open; stem also wakes it the moment the connection
closes. When either fails the sites keep running: the supervisor opens tor again (a new
launch, or a reattach to the system tor), republishes both onions from the same keys
with the same client authorisation and proof-of-work settings, and logs one line. The
same loop notices changes to the investigator's client-auth files and republishes that
onion, so adding, removing or rotating a client applies live through the control port.

Security: the investigator onion is never published without client authorisation; when
its last client is removed it is taken down (invariant 5). A republished onion gets new
introduction points, so a revoked client's cached descriptor leads nowhere. Log lines
name no address, client or key.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import stem
import stem.control

from onion_config import client_auth, launcher, publish
from onion_config.errors import NoInvestigatorClients, OnionKeyError, PublishFailed, TorError
from onion_config.onion_keys import OnionFiles, OnionServiceKey
from onion_config.state import OnionState, utc_day, write_state

log = logging.getLogger("tipdrop.tor")

_RECOVERABLE = (TorError, stem.ControllerError, OSError)


@dataclass
class TorConnection:
    """A control connection to tor, with the process when we launched it ourselves."""

    controller: stem.control.Controller
    launched: launcher.LaunchedTor | None = None

    def alive(self) -> bool:
        """False once the process has exited or the control connection has closed."""
        if self.launched is not None and self.launched.process.poll() is not None:
            return False
        return bool(self.controller.is_alive())

    def close(self) -> None:
        """Stop a tor we launched; only disconnect from one we attached to."""
        if self.launched is not None:
            self.launched.stop()
        elif self.controller.is_alive():
            with contextlib.suppress(Exception):
                self.controller.close()


TorOpener = Callable[[], TorConnection]
"""Opens tor the configured way (launch, attach, or join a test network)."""


@dataclass(frozen=True)
class OnionSites:
    """The two onions to keep published: their keys and the local ports they forward to."""

    reporter: OnionServiceKey
    reporter_port: int
    investigator: OnionServiceKey
    investigator_port: int


class OnionSupervisor:
    """Publishes both onions on start() and keeps them published until stop()."""

    def __init__(self, files: OnionFiles, sites: OnionSites, opener: TorOpener, *, mode: str,
                 check_every: float = 1.0, retry_every: float = 5.0) -> None:
        self._files = files
        self._sites = sites
        self._open = opener
        self._mode = mode
        self._check_every = check_every
        self._retry_every = retry_every
        self._lock = threading.RLock()  # guards the fields below
        self._conn: TorConnection | None = None
        self._watcher: publish.UploadWatcher | None = None
        self._clients: tuple[str, ...] = ()  # public keys the investigator onion is published with
        self._investigator_up = False
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_problem = ""
        self.restarts = 0

    # -- lifecycle -------------------------------------------------------

    def start(self) -> None:
        """Open tor and publish both onions (errors propagate), then watch in a thread."""
        clients = self._read_clients()
        if not clients:
            raise NoInvestigatorClients()
        self._connect_and_publish(clients)
        self._thread = threading.Thread(target=self._run, name="tor-supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching, take both onions down and close (or stop) tor."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            conn, watcher = self._conn, self._watcher
            self._conn, self._watcher, self._investigator_up = None, None, False
        if conn is not None:
            if conn.controller.is_alive():  # a dead connection is never written to again
                if watcher is not None:
                    watcher.close()
                publish.remove_onion(conn.controller, self._sites.investigator.hostname)
                publish.remove_onion(conn.controller, self._sites.reporter.hostname)
            conn.close()
        self._record()

    # -- what callers may ask -------------------------------------------

    @property
    def controller(self) -> stem.control.Controller:
        """The live control connection (TorError while tor is being restarted)."""
        with self._lock:
            if self._conn is None:
                raise TorError("tor is being restarted")
            return self._conn.controller

    def tor_process_id(self) -> int | None:
        """The pid of the tor we launched, or None (attached, or restarting)."""
        with self._lock:
            if self._conn is None or self._conn.launched is None:
                return None
            return self._conn.launched.process.pid

    def published(self) -> tuple[bool, bool]:
        """Whether tor has uploaded a descriptor of (reporter, investigator) since publishing."""
        with self._lock:
            watcher = self._watcher
            if watcher is None:
                return False, False
            return (watcher.uploaded(self._sites.reporter.hostname),
                    self._investigator_up and watcher.uploaded(self._sites.investigator.hostname))

    def wait_published(self, timeout: float) -> None:
        """Block until both descriptors are uploaded; PublishFailed at the deadline."""
        deadline = time.monotonic() + timeout
        while self.published() != (True, True):
            if time.monotonic() > deadline:
                raise PublishFailed(
                    f"tor did not upload the onion descriptors within {timeout:.0f} s; "
                    "is it connected to the Tor network? (see its log)")
            time.sleep(0.1)

    # -- publishing ------------------------------------------------------

    def _read_clients(self) -> tuple[str, ...]:
        return tuple(sorted(c.public_b32 for c in client_auth.list_clients(self._files.clients_dir)))

    def _connect_and_publish(self, clients: tuple[str, ...]) -> None:
        conn = self._open()
        try:
            with self._lock:
                self._conn, self._clients, self._investigator_up = conn, clients, False
                self._watcher = publish.UploadWatcher(conn.controller, self._record)
            # spawn=False: stem's spawning path calls the deprecated Thread.setDaemon() while
            # it holds the socket's send lock; a warning raised there leaves the lock held.
            conn.controller.add_status_listener(self._on_status, spawn=False)
            sites = self._sites
            publish.publish_reporter(conn.controller, sites.reporter, sites.reporter_port)
            if clients:
                publish.publish_investigator(conn.controller, sites.investigator,
                                             sites.investigator_port, clients)
                with self._lock:
                    self._investigator_up = True
        except BaseException:
            with self._lock:
                self._conn = self._watcher = None
            conn.close()
            raise
        self._record()

    def _on_status(self, _controller: stem.control.BaseController, state: stem.control.State,
                   _timestamp: float) -> None:
        if state == stem.control.State.CLOSED:
            self._wake.set()

    def _sync_clients(self) -> None:
        """Republish the investigator onion if its authorised clients changed on disk."""
        try:
            clients = self._read_clients()
        except OnionKeyError:
            self._problem("an investigator client file is malformed; the authorisation in force is kept")
            return
        with self._lock:
            conn, watcher = self._conn, self._watcher
            if clients == self._clients or conn is None or watcher is None:
                return
            address = self._sites.investigator.hostname
            if self._investigator_up:
                publish.remove_onion(conn.controller, address)
                self._investigator_up = False
            watcher.forget(address)
            if clients:
                publish.publish_investigator(conn.controller, self._sites.investigator,
                                             self._sites.investigator_port, clients)
                self._investigator_up = True
            self._clients = clients
        if clients:
            log.info("investigator client authorisation changed; its onion was republished")
        else:
            log.warning("no investigator client is authorised any more; its onion was taken down")
        self._record()

    # -- watching --------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._check_every)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                with self._lock:
                    conn = self._conn
                if conn is None or not conn.alive():
                    self._recover()
                else:
                    self._sync_clients()
            except Exception as exc:  # the watcher must outlive any one failure
                # The next round sees a dead connection and recovers; say so once per cause
                # (the type only: a message could name an address or a file).
                self._problem(f"tor supervision hit {type(exc).__name__}; retrying")

    def _recover(self) -> None:
        """Replace a dead tor (or control connection) and republish both onions."""
        with self._lock:
            old, watcher = self._conn, self._watcher
            self._conn, self._watcher, self._investigator_up = None, None, False
        self._record()
        if old is not None:
            if watcher is not None and old.controller.is_alive():
                watcher.close()
            old.close()
        while not self._stopping.is_set():
            try:
                clients = self._read_clients()
            except OnionKeyError:
                clients = self._clients
            try:
                self._connect_and_publish(clients)
            except _RECOVERABLE as exc:
                self._problem(f"tor is down and could not be {self._verb()} yet "
                              f"({type(exc).__name__}); retrying every {self._retry_every:.0f} s")
                self._stopping.wait(self._retry_every)
                continue
            self.restarts += 1
            self._last_problem = ""
            log.warning("tor stopped; it was %s and both onions were republished", self._verb())
            self._record()
            return

    def _verb(self) -> str:
        return "reattached" if self._mode == "attach" else "restarted"

    def _problem(self, message: str) -> None:
        """Log a problem once, not once a second."""
        if message != self._last_problem:
            self._last_problem = message
            log.warning("%s", message)

    def _record(self) -> None:
        """Write what we see to the state file for `run.py status`."""
        reporter, investigator = self.published()
        with self._lock:
            state = OnionState(
                mode=self._mode,
                tor_up=self._conn is not None and not self._stopping.is_set(),
                reporter_published=reporter,
                investigator_published=investigator,
                investigator_clients=len(self._clients),
                tor_restarts=self.restarts,
                day=utc_day(),
            )
            # A full disk must not stop supervision; `status` reports the disk itself.
            with contextlib.suppress(OSError):
                write_state(self._files.state_file, state)
