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
from dropbox_server.logs import loop_exception_handler
from dropbox_server.provision import init_data_dir
from dropbox_server.services import Services, open_services
from dropbox_server.web.fd_limit import fit_file_descriptors
from dropbox_server.web.server import start_site

log = logging.getLogger("tipdrop")


def register(sub: Any) -> None:
    """Add `init`."""
    p = sub.add_parser("init", help="create a data directory: database, pepper, unit keys")
    add_data_dir(p)
    p.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    passphrase = ask_secret("Security staff passphrase (at least 12 characters)", confirm=True)
    count = asyncio.run(init_data_dir(settings, passphrase))
    print(f"Created {settings.data_dir}: database, pepper (mode 0600), {count} units with key pairs.")
    print("Keep the security staff passphrase safe: it is needed to enrol investigators.")
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
    asyncio.run(_serve(settings_from_args(args)))
    return 0
