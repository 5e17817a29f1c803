"""`init`, `serve` (behind onions or on 127.0.0.1 only) and `demo`.

onion_config owns Tor; this module only wires it to the sites and the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

import onion_config
from dropbox_server import envelope
from dropbox_server.app import create_investigator_app, create_reporter_app
from dropbox_server.cli.demo_accounts import prepare_demo_data
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


async def _serve_behind(
    settings: Any, open_onions: Callable[[], Any], describe: Callable[[Any], str],
    tor_ready: Awaitable[object] | None = None,
) -> None:
    """Both sites on 127.0.0.1, published by `open_onions()` until SIGINT/SIGTERM.

    The sites start first (their start-up argon2id runs included); with `tor_ready` (the
    demo's network still building) the onions wait for it, so both happen at once.
    """
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with open_services(settings) as services:
        runners = await start_sites(settings, services)
        try:
            if tor_ready is not None:
                await tor_ready
            with contextlib.ExitStack() as stack:
                # Tor start-up blocks (stem is synchronous): keep it off the event loop.
                onions = await asyncio.to_thread(stack.enter_context, open_onions())
                print(describe(onions), flush=True)
                try:
                    await stop.wait()
                finally:
                    await asyncio.to_thread(stack.close)
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
    print("Building a private Tor network on 127.0.0.1 while the demo data is prepared...", flush=True)
    asyncio.run(_demo(settings, workdir, began))
    return 0


async def _demo(settings: Settings, workdir: Path, began: float) -> None:
    """The network builds in a thread while data and staff are prepared and both sites start
    on 127.0.0.1; then both onions. Prints when each part is ready, from the command's start."""
    with contextlib.ExitStack() as stack:
        building = asyncio.ensure_future(asyncio.to_thread(
            stack.enter_context, onion_config.demo_network(workdir / "tor-network")))

        def describe(demo: onion_config.DemoOnions) -> str:
            return (demo.describe() + f"\nDemo ready {time.monotonic() - began:.1f} s after start. "
                    "Ctrl-C stops everything.")

        try:
            print(await prepare_demo_data(settings, workdir / "demo-accounts.txt"), flush=True)
            print(f"Demo data ready {time.monotonic() - began:.1f} s after start.", flush=True)
            await _serve_behind(
                settings,
                lambda: onion_config.demo_onions(
                    building.result(), settings.data_dir, settings.reporter_port,
                    settings.investigator_port, x25519_keypair,
                ),
                describe,
                tor_ready=building,
            )
        finally:
            # Even when anything failed: the stack must own the network before it closes.
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
