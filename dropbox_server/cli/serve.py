"""`init`, `serve` (behind onions or on 127.0.0.1 only) and `demo`.

onion_config owns Tor; this module only wires it to the sites and the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

import onion_config
from dropbox_server import envelope
from dropbox_server.cli.demo_accounts import prepare_demo_data
from dropbox_server.cli.interrupts import leave
from dropbox_server.cli.settings_args import KDF_ENV, add_data_dir, settings_from_args
from dropbox_server.cli.shares import add_share_args, share_spec, show_shares
from dropbox_server.config import Settings
from dropbox_server.custody.provision import init_data_dir
from dropbox_server.datadir import refuse_shared
from dropbox_server.logs import loop_exception_handler
from dropbox_server.services import open_services
from dropbox_server.store.deployment import DESK, ROUTINGS
from dropbox_server.web.appkeys import Services
from dropbox_server.web.fd_limit import fit_file_descriptors
from dropbox_server.web.server import start_site


def register(sub: Any) -> None:
    """Add `init`, `serve` and `demo`."""
    _register_init(sub)
    p = sub.add_parser("serve", help="run both sites on 127.0.0.1 (behind onion services)")
    add_data_dir(p)
    p.add_argument("--no-tor", action="store_true", help="serve on 127.0.0.1 only, without onions")
    p.add_argument("--reporter-port", type=int, help="reporter site port (default 8080)")
    p.add_argument("--investigator-port", type=int, help="investigator site port (default 8081)")
    p.add_argument(
        "--tor-control-port",
        type=int,
        help="attach to a running tor on 127.0.0.1:N (default: launch our own tor)",
    )
    p.add_argument("--tor-control-socket", type=Path, help="attach to a running tor's control socket")
    p.add_argument(
        "--tor-password-file", type=Path, help="file holding the control password (default: cookie auth)"
    )
    p.add_argument("--tor-cmd", default="tor", help="tor executable to launch (default: tor)")
    p.add_argument(
        "--https-door",
        action="store_true",
        help="an HTTPS door (deploy/caddy) fronts the reporter site: tell its visitors about Tor Browser",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="private loopback Tor network + demo data + both sites behind onions")
    p.add_argument(
        "--workdir", type=Path, default=Path("demo-data"), help="demo directory (default ./demo-data)"
    )
    p.add_argument("--reporter-port", type=int, help="reporter site port (default 8080)")
    p.add_argument("--investigator-port", type=int, help="investigator site port (default 8081)")
    p.set_defaults(func=cmd_demo)


def _stop_on_signals() -> asyncio.Event:
    """An event that SIGINT and SIGTERM set, handled on the running event loop from now on."""
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    return stop


async def _first_or_stop(work: asyncio.Future[Any], stop: asyncio.Event) -> bool:
    """Wait for `work` or `stop`, whichever comes first: True (work's error raised) if work
    is done. Work still running is left to the caller (a thread cannot be cancelled)."""
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not work.done():
        return False
    work.result()
    return True


async def _serve_behind(
    settings: Any, open_onions: Callable[[], Any], describe: Callable[[Any], str],
    tor_ready: asyncio.Future[Any] | None = None, stop: asyncio.Event | None = None,
) -> bool:
    """Both sites on 127.0.0.1, published by `open_onions()` until SIGINT/SIGTERM (or `stop`).

    The sites start first (their start-up argon2id runs included); with `tor_ready` (the
    demo's network still building) the onions wait for it, so both happen at once. False if
    stopped before `tor_ready` was done (nothing published), True after serving.
    """
    if stop is None:
        stop = _stop_on_signals()
    async with open_services(settings) as services:
        runners = await start_sites(settings, services)
        try:
            if tor_ready is not None and not await _first_or_stop(tor_ready, stop):
                return False
            with contextlib.ExitStack() as stack:
                # Tor start-up blocks (stem is synchronous): keep it off the event loop.
                onions = await asyncio.to_thread(stack.enter_context, open_onions())
                print(describe(onions), flush=True)
                try:
                    await stop.wait()
                finally:
                    await asyncio.to_thread(stack.close)
            return True
        finally:
            for runner in runners:
                await runner.cleanup()


def x25519_keypair() -> tuple[bytes, bytes]:
    """A fresh client-auth key pair from the project's one crypto module."""
    pair = envelope.generate_keypair()
    return pair.private, pair.public


def cmd_serve(args: argparse.Namespace) -> int:
    if args.no_tor:
        return serve_without_tor(args)
    settings = settings_from_args(args)
    refuse_shared(settings.data_dir)
    attach = args.tor_control_port is not None or args.tor_control_socket is not None
    tor = onion_config.TorSettings(
        mode="attach" if attach else "launch",
        tor_cmd=args.tor_cmd,
        control_port=args.tor_control_port or 9051,
        control_socket=args.tor_control_socket,
        control_password_file=args.tor_password_file,
    )

    def describe(running: onion_config.RunningOnions) -> str:
        a = running.addresses
        return (
            f"Reporter onion:     {a.reporter_url}\n"
            f"Investigator onion: {a.investigator_url}  (client authorisation)"
        )

    asyncio.run(
        _serve_behind(
            settings,
            lambda: onion_config.serve_onions(
                settings.data_dir, settings.reporter_port, settings.investigator_port, tor
            ),
            describe,
        )
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    began = time.monotonic()
    workdir = args.workdir.resolve()
    args.data_dir = workdir / "data"
    settings = settings_from_args(args, creates="demo")
    done = asyncio.run(_demo(settings, workdir, began))
    if done is not None:
        leave(done)  # interrupted before it was ready: the usual message, exit 130
    return 0


async def _demo(settings: Settings, workdir: Path, began: float) -> list[str] | None:
    """The network builds in a thread while data and staff are prepared and both sites start
    on 127.0.0.1; then both onions. Prints when each part is ready, from the command's start.

    SIGINT/SIGTERM before the demo is ready cancels the network's build (its tors stopped)
    and the demo data's preparation instead of waiting for them, and returns what was done.
    None after a normal stop.
    """
    stop = _stop_on_signals()  # before anything starts: no signal finds the default handler
    cancel = threading.Event()  # tells the network's start, in its thread, to give up
    done: list[str] = []
    print("Building a private Tor network on 127.0.0.1 while the demo data is prepared...", flush=True)
    with contextlib.ExitStack() as stack:
        building = asyncio.ensure_future(asyncio.to_thread(
            stack.enter_context, onion_config.demo_network(workdir / "tor-network", cancel=cancel)))

        def describe(demo: onion_config.DemoOnions) -> str:
            return (demo.describe() + f"\nDemo ready {time.monotonic() - began:.1f} s after start. "
                    "Ctrl-C stops everything.")

        try:
            preparing = asyncio.ensure_future(prepare_demo_data(settings, workdir / "demo-accounts.txt"))
            if not await _first_or_stop(preparing, stop):
                preparing.cancel()  # the next start refuses what it half-made, and says so
                with contextlib.suppress(asyncio.CancelledError):
                    await preparing
                if settings.database_path.exists():
                    done.append(f"demo data in {workdir} begun, not finished (delete that folder)")
                return done
            print(preparing.result(), flush=True)
            print(f"Demo data ready {time.monotonic() - began:.1f} s after start.", flush=True)
            done.append(f"demo data prepared in {workdir}")
            served = await _serve_behind(
                settings,
                lambda: onion_config.demo_onions(
                    building.result(), settings.data_dir, settings.reporter_port,
                    settings.investigator_port, x25519_keypair,
                ),
                describe,
                tor_ready=building,
                stop=stop,
            )
            return None if served else done
        finally:
            if not building.done():
                cancel.set()  # stopped or failed before the network was up: nobody wants it now
            # Even when anything failed: the stack must own the network before it closes.
            with contextlib.suppress(onion_config.NetworkStopped):
                await building


log = logging.getLogger("tipdrop")


def _register_init(sub: Any) -> None:
    """Add `init`."""
    p = sub.add_parser("init", help="create a data directory: database, pepper, unit keys, custodian shares")
    add_data_dir(p)
    p.add_argument(
        "--routing",
        choices=ROUTINGS,
        default=DESK,
        help="desk (default): every report goes to the independent desk, forces get approved "
        "packages only; direct: reports go straight to the named force's unit",
    )
    add_share_args(p)
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    """Security: the custodian private key is split into shares, printed once, never stored."""
    settings = settings_from_args(args, creates="test")
    spec = share_spec(args)
    done = asyncio.run(init_data_dir(settings, spec, routing=args.routing))
    print(f"Created {settings.data_dir}: database, pepper (mode 0600), {done.units} units with key pairs.")
    if settings.throwaway:
        print(f"This is a THROWAWAY {settings.throwaway} data directory ({KDF_ENV} was set): staff keys "
              "are wrapped with cheap argon2id, for tests only. Never keep real reports in it.")
    print(f"Routing: {args.routing}.")
    show_shares(done.shares, spec.threshold)
    print(f"Enrolling a unit's first key holder, restoring and re-keying need {spec.threshold} shares.")
    return 0


async def start_sites(settings: Settings, services: Services) -> list[web.AppRunner]:
    """Start both sites on 127.0.0.1, each on its own port, with connection caps that fit.

    Security: access logs are off (no IP address or user agent is ever written); the soft
    file-descriptor limit is raised and each site's connection cap sized under it.
    """
    asyncio.get_running_loop().set_exception_handler(loop_exception_handler)
    # Imported here: the sites' modules (every view, template and the PDF library) take most of
    # a command's start-up, and only serve and demo build the sites.
    from dropbox_server.app import create_investigator_app, create_reporter_app

    caps = fit_file_descriptors(settings.connections)
    runners: list[web.AppRunner] = []
    for app, port, cap in (
        (create_reporter_app(settings, services), settings.reporter_port, caps.reporter),
        (create_investigator_app(settings, services), settings.investigator_port, caps.investigator),
    ):
        runners.append(await start_site(app, settings, port, cap))
    return runners


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_services(settings) as services:
        runners = await start_sites(settings, services)
        print(f"Reporter site:     http://{settings.host}:{settings.reporter_port}/", flush=True)
        print(f"Investigator site: http://{settings.host}:{settings.investigator_port}/", flush=True)
        try:
            await stop.wait()
        finally:
            for runner in runners:
                await runner.cleanup()


def serve_without_tor(args: argparse.Namespace) -> int:
    """Both sites on 127.0.0.1 only: for tests, benchmarks, or a tor configured by hand."""
    settings = settings_from_args(args)
    refuse_shared(settings.data_dir)
    asyncio.run(_serve(settings))
    return 0
