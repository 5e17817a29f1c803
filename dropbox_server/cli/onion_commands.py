"""`serve` behind onions, `demo`, and the investigator onion's client keys.

onion_config owns Tor; this module only wires it to the sites and the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import onion_config
from dropbox_server import envelope
from dropbox_server.cli import audit_commands, setup_commands
from dropbox_server.cli.demo_accounts import create_demo_accounts, describe_accounts
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.provision import init_data_dir
from dropbox_server.services import open_services


def register(sub: Any, keys: Any) -> None:
    """Add `serve`, `demo` and the onion-client `keys` subcommands."""
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

    p = keys.add_parser(
        "add-onion-client", help="authorise an investigator's Tor Browser for the investigator onion"
    )
    add_data_dir(p)
    p.add_argument("name", help="who the key is for (letters, digits, - and _)")
    p.set_defaults(func=cmd_add_onion_client)
    p = keys.add_parser("list-onion-clients", help="list authorised investigator onion clients")
    add_data_dir(p)
    p.set_defaults(func=cmd_list_onion_clients)
    p = keys.add_parser("remove-onion-client", help="revoke an investigator onion client")
    add_data_dir(p)
    p.add_argument("name")
    p.set_defaults(func=cmd_remove_onion_client)


def x25519_keypair() -> tuple[bytes, bytes]:
    """A fresh client-auth key pair from the project's one crypto module."""
    pair = envelope.generate_keypair()
    return pair.private, pair.public


async def _serve_behind(
    settings: Any, open_onions: Callable[[], Any], describe: Callable[[Any], str]
) -> None:
    """Both sites on 127.0.0.1, published by `open_onions()` until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with open_services(settings) as services:
        runners = await setup_commands.start_sites(settings, services)
        try:
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


def cmd_serve(args: argparse.Namespace) -> int:
    if args.no_tor:
        return setup_commands.serve_without_tor(args)
    settings = settings_from_args(args)
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
    workdir = args.workdir.resolve()
    args.data_dir = workdir / "data"
    settings = settings_from_args(args)
    accounts_file = workdir / "demo-accounts.txt"
    if not settings.database_path.exists():
        passphrase = secrets.token_urlsafe(18)
        asyncio.run(init_data_dir(settings, passphrase))
        print(f"Demo data directory {settings.data_dir}; security staff passphrase: {passphrase}")
        accounts = asyncio.run(create_demo_accounts(settings, passphrase))
        print(describe_accounts(accounts, accounts_file))
    else:
        print(f"Reusing {settings.data_dir}; demo accounts are in {accounts_file}")
    print("Building a private Tor network on 127.0.0.1 (about 15-25 s)...", flush=True)
    asyncio.run(
        _serve_behind(
            settings,
            lambda: onion_config.demo_onions(
                workdir / "tor-network",
                settings.data_dir,
                settings.reporter_port,
                settings.investigator_port,
                x25519_keypair,
            ),
            lambda demo: demo.describe() + "\nCtrl-C stops everything.",
        )
    )
    return 0


def cmd_add_onion_client(args: argparse.Namespace) -> int:
    files = onion_config.OnionFiles.for_data_dir(args.data_dir.resolve())
    credential = onion_config.add_client(files.clients_dir, args.name, x25519_keypair)
    address = onion_config.load_or_create_service_key(files.investigator_key).address
    print(f"Authorised {credential.name} for http://{address}.onion/")
    print("Give them this key once, over a safe channel. It is not stored here and cannot be shown again.")
    print(f"  Tor Browser asks for:      {credential.tor_browser_key()}")
    print(f"  or, in ClientOnionAuthDir: {credential.auth_private_line(address)}")
    print("Restart `run.py serve` for the change to take effect.")
    audit_commands.log_command(args, "onion_client_added", f"client={credential.name}")
    return 0


def cmd_list_onion_clients(args: argparse.Namespace) -> int:
    files = onion_config.OnionFiles.for_data_dir(args.data_dir.resolve())
    for client in onion_config.list_clients(files.clients_dir):
        print(f"{client.name}  descriptor:x25519:{client.public_b32}")
    return 0


def cmd_remove_onion_client(args: argparse.Namespace) -> int:
    files = onion_config.OnionFiles.for_data_dir(args.data_dir.resolve())
    onion_config.remove_client(files.clients_dir, args.name)
    print(f"Revoked {args.name}; restart `run.py serve` for the change to take effect.")
    audit_commands.log_command(args, "onion_client_removed", f"client={args.name}")
    return 0
