"""`init` and `serve`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Any

from aiohttp import web

from dropbox_server.app import create_investigator_app, create_reporter_app
from dropbox_server.cli.prompts import ask_secret
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.config import Settings
from dropbox_server.provision import init_data_dir
from dropbox_server.reports.routing import DESK, ROUTINGS
from dropbox_server.services import Services, open_services

log = logging.getLogger("tipdrop")


def register(sub: Any) -> None:
    """Add `init`."""
    p = sub.add_parser("init", help="create a data directory: database, pepper, unit keys")
    add_data_dir(p)
    p.add_argument(
        "--routing",
        choices=ROUTINGS,
        default=DESK,
        help="desk (default): every report goes to the independent desk, forces get approved "
        "packages only; direct: reports go straight to the named force's unit",
    )
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    passphrase = ask_secret("Security staff passphrase (at least 12 characters)", confirm=True)
    count = asyncio.run(init_data_dir(settings, passphrase, routing=args.routing))
    print(f"Created {settings.data_dir}: database, pepper (mode 0600), {count} units with key pairs.")
    print(f"Routing: {args.routing}.")
    print("Keep the security staff passphrase safe: it is needed to enrol investigators.")
    return 0


async def start_sites(settings: Settings, services: Services) -> list[web.AppRunner]:
    """Start both sites on 127.0.0.1, each on its own port. Access logs are off.

    Security: no access log means no IP address or user agent is ever written.
    """
    runners = []
    for app, port in (
        (create_reporter_app(settings, services), settings.reporter_port),
        (create_investigator_app(settings, services), settings.investigator_port),
    ):
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, settings.host, port, reuse_address=True).start()
        runners.append(runner)
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
    asyncio.run(_serve(settings_from_args(args)))
    return 0
