"""`keys show-onions`, `rotate-client-auth`, `rotate-onion-client` and `add-`, `list-`,
`remove-onion-client`: the onion keys security staff look after. onion_config owns the files;
this module only drives it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import onion_config
from dropbox_server import envelope
from dropbox_server.cli.audit import log_command
from dropbox_server.cli.prompts import CliError, add_operator, add_yes, declined, end_of_input
from dropbox_server.cli.serve import x25519_keypair
from dropbox_server.cli.settings_args import add_data_dir
from dropbox_server.datadir import create_private_dir, write_new_secret_file

LIVE_NOTE = ("A running `serve` republishes the investigator onion with the new client list "
             "within a few seconds; no restart is needed.")


def register_clients(keys: Any) -> None:
    """Add the onion-client subcommands to `keys`: add, list and remove."""
    p = keys.add_parser(
        "add-onion-client", help="authorise an investigator's Tor Browser for the investigator onion"
    )
    add_data_dir(p)
    add_operator(p)
    p.add_argument("name", help="who the key is for (letters, digits, - and _)")
    p.set_defaults(func=cmd_add_onion_client)
    p = keys.add_parser("list-onion-clients", help="list authorised investigator onion clients")
    add_data_dir(p)
    add_operator(p, required=None)
    p.set_defaults(func=cmd_list_onion_clients)
    p = keys.add_parser("remove-onion-client", help="revoke an investigator onion client")
    add_data_dir(p)
    add_operator(p)
    p.add_argument("name")
    add_yes(p)
    p.set_defaults(func=cmd_remove_onion_client)


def register(keys: Any) -> None:
    """Add the onion key subcommands to `keys`."""
    p = keys.add_parser("show-onions", help="show both onion addresses and the authorised clients")
    add_data_dir(p)
    add_operator(p, required=None)
    p.set_defaults(func=cmd_show_onions)
    p = keys.add_parser("rotate-client-auth", help="new client-authorisation keys for the investigator onion")
    add_data_dir(p)
    add_operator(p)
    p.add_argument("names", nargs="*", metavar="NAME", help="clients to rotate (default: every client)")
    p.add_argument(
        "--out-dir",
        type=Path,
        help="also write each new key as NAME.auth_private (0600) into this new folder",
    )
    add_yes(p)
    p.set_defaults(func=cmd_rotate_client_auth)
    p = keys.add_parser("rotate-onion-client", help="give one investigator onion client a new key")
    add_data_dir(p)
    add_operator(p)
    p.add_argument("name")
    add_yes(p)
    p.set_defaults(func=cmd_rotate_onion_client)


def _files(args: argparse.Namespace) -> onion_config.OnionFiles:
    return onion_config.OnionFiles.for_data_dir(args.data_dir.resolve())


def cmd_show_onions(args: argparse.Namespace) -> int:
    """Addresses are derived from the stored keys; nothing is created."""
    files = _files(args)
    for label, path in (
        ("Reporter onion", files.reporter_key),
        ("Investigator onion", files.investigator_key),
    ):
        if path.exists():
            print(f"{label + ':':20} http://{onion_config.load_or_create_service_key(path).address}.onion/")
        else:
            print(f"{label + ':':20} not created yet (it is made on the first `serve`)")
    clients = onion_config.list_clients(files.clients_dir)
    print(f"Investigator clients: {', '.join(c.name for c in clients) or 'none'}")
    return 0


def _keypair() -> tuple[bytes, bytes]:
    pair = envelope.generate_keypair()
    return pair.private, pair.public


def _chosen(files: onion_config.OnionFiles, names: list[str]) -> list[str]:
    known = [c.name for c in onion_config.list_clients(files.clients_dir)]
    if not known:
        raise CliError("the investigator onion has no authorised clients (see `keys add-onion-client`)")
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise CliError(f"no investigator onion client is called {', '.join(map(repr, unknown))}")
    return names or known


def _rotate(files: onion_config.OnionFiles, names: list[str], out_dir: Path | None) -> None:
    """Replace each client's key and show the new one once.

    Security: the private half is printed (and, with --out-dir, written 0600) for handing
    over, never kept here; the old key stops working as soon as `serve` republishes the onion.
    """
    address = onion_config.load_or_create_service_key(files.investigator_key).address
    if out_dir is not None:
        create_private_dir(out_dir)
    for name in names:
        onion_config.remove_client(files.clients_dir, name)
        credential = onion_config.add_client(files.clients_dir, name, _keypair)
        line = credential.auth_private_line(address)
        print(f"New key for {name}; give it to them once, over a safe channel:")
        print(f"  Tor Browser asks for:      {credential.tor_browser_key()}")
        print(f"  or, in ClientOnionAuthDir: {line}")
        if out_dir is not None:
            write_new_secret_file(out_dir / f"{name}.auth_private", (line + "\n").encode("ascii"))
            print(f"  written to {out_dir / f'{name}.auth_private'}")


def _rotate_command(args: argparse.Namespace, names: list[str]) -> int:
    files = _files(args)
    chosen = _chosen(files, names)
    out_dir = getattr(args, "out_dir", None)
    if out_dir is not None and out_dir.exists() and any(out_dir.iterdir()):
        raise CliError(f"{out_dir} is not empty; choose a new folder for the key files")
    question = f"Replace the onion client key of {', '.join(chosen)}? The old keys stop working."
    if declined(question, assume_yes=args.yes):
        return 1
    _rotate(files, chosen, out_dir)
    print(LIVE_NOTE)
    for name in chosen:
        log_command(args, "onion_client_rotated", f"client={name}")
    return 0


def cmd_rotate_client_auth(args: argparse.Namespace) -> int:
    """Rotate every investigator onion client's key (or the ones named), e.g. after a leak."""
    return _rotate_command(args, list(args.names))


def cmd_rotate_onion_client(args: argparse.Namespace) -> int:
    """Rotate one client's key (a lost or replaced laptop)."""
    return _rotate_command(args, [args.name])


def cmd_add_onion_client(args: argparse.Namespace) -> int:
    files = onion_config.OnionFiles.for_data_dir(args.data_dir.resolve())
    credential = onion_config.add_client(files.clients_dir, args.name, x25519_keypair)
    address = onion_config.load_or_create_service_key(files.investigator_key).address
    print(f"Authorised {credential.name} for http://{address}.onion/")
    print("Give them this key once, over a safe channel. It is not stored here and cannot be shown again.")
    print(f"  Tor Browser asks for:      {credential.tor_browser_key()}")
    print(f"  or, in ClientOnionAuthDir: {credential.auth_private_line(address)}")
    print(LIVE_NOTE)
    log_command(args, "onion_client_added", f"client={credential.name}")
    return 0


def cmd_list_onion_clients(args: argparse.Namespace) -> int:
    files = onion_config.OnionFiles.for_data_dir(args.data_dir.resolve())
    for client in onion_config.list_clients(files.clients_dir):
        print(f"{client.name}  descriptor:x25519:{client.public_b32}")
    return 0


def cmd_remove_onion_client(args: argparse.Namespace) -> int:
    files = onion_config.OnionFiles.for_data_dir(args.data_dir.resolve())
    end_of_input()
    if args.name not in {c.name for c in onion_config.list_clients(files.clients_dir)}:
        raise CliError(f"no investigator onion client is called {args.name!r}; nothing was changed")
    question = f"Revoke {args.name}? That Tor Browser can no longer reach the investigator site."
    if declined(question, assume_yes=args.yes):
        return 1
    onion_config.remove_client(files.clients_dir, args.name)
    print(f"Revoked {args.name}. {LIVE_NOTE}")
    log_command(args, "onion_client_removed", f"client={args.name}")
    return 0
