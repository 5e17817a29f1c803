"""`keys split-custodian` (once, for a directory made with a passphrase), `keys reshare`, and
`keys certify-restored` (a restored copy from before certificates)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from dropbox_server.cli.keys.officer import database
from dropbox_server.cli.prompts import CliError, add_operator, add_yes, ask_secret, declined
from dropbox_server.cli.settings_args import add_data_dir
from dropbox_server.cli.shares import add_share_args, share_spec, show_shares, unlock_with_shares
from dropbox_server.custody import certify, custodian


def register(keys: Any) -> None:
    """Add `split-custodian`, `reshare` and `certify-restored` to `keys`."""
    p = keys.add_parser(
        "split-custodian", help="once, on a directory made with a passphrase: split the custodian key"
    )
    add_data_dir(p)
    add_operator(p)
    add_share_args(p)
    p.set_defaults(func=cmd_split_custodian)
    p = keys.add_parser("reshare", help="new custodian shares (and key) from K of the current shares")
    add_data_dir(p)
    add_operator(p)
    add_share_args(p)
    add_yes(p)
    p.set_defaults(func=cmd_reshare)
    p = keys.add_parser(
        "certify-restored",
        help="certify a restored copy that truly predates certificates (K shares; audited)",
    )
    add_data_dir(p)
    add_operator(p)
    add_yes(p)
    p.set_defaults(func=cmd_certify_restored)


async def _split(args: argparse.Namespace, spec: custodian.ShareSpec) -> list[custodian.IssuedShare]:
    async with database(args) as db:
        passphrase = ask_secret("Security staff passphrase (the old one, asked this once)")
        try:
            return await custodian.split_legacy(db, passphrase, spec)
        except custodian.CustodianError as exc:
            raise CliError(str(exc)) from None


def cmd_split_custodian(args: argparse.Namespace) -> int:
    """Security: the same key, now only in shares; the wrapped copy is removed from the database."""
    spec = share_spec(args)
    shares = asyncio.run(_split(args, spec))
    show_shares(shares, spec.threshold)
    print("The passphrase-wrapped custodian key is removed from the database. Older database copies")
    print("(backup sets, the Litestream replica's history) still hold it: destroy them, or run")
    print("`keys reshare` to move to a new custodian key. Make a new key backup (`keys backup`) and")
    print("destroy the old ones: they hold every unit key under one backup passphrase.")
    return 0


async def _reshare(args: argparse.Namespace, spec: custodian.ShareSpec) -> list[custodian.IssuedShare]:
    async with database(args) as db:
        old = await unlock_with_shares(db)
        try:
            return await custodian.reshare(db, old, spec)
        except custodian.CustodianError as exc:
            raise CliError(f"{exc}; nothing was changed") from None


def cmd_reshare(args: argparse.Namespace) -> int:
    """Security: a new custodian key, so the old shares open nothing sealed from now on."""
    spec = share_spec(args)
    question = "Issue new custodian shares? The old shares stop opening this service."
    if declined(question, assume_yes=args.yes):
        return 1
    shares = asyncio.run(_reshare(args, spec))
    show_shares(shares, spec.threshold)
    print("The old shares no longer open this database. Make a new key backup now (`keys backup`).")
    return 0


async def _certify_restored(args: argparse.Namespace) -> int:
    async with database(args) as db:
        opened = await unlock_with_shares(db, restored=True)
        try:
            return await certify.certify_restored(db, opened)
        except (certify.RestoredRefused, certify.UncertifiedKey) as exc:
            raise CliError(str(exc)) from None


def cmd_certify_restored(args: argparse.Namespace) -> int:
    """Security: certifies every row as found, so only for a copy known to predate certificates."""
    question = (
        "Certify every key in this restored copy AS FOUND? Do this only if the copy was made before "
        "certificates existed; a newer copy without them was altered."
    )
    if declined(question, assume_yes=args.yes):
        return 1
    reports = asyncio.run(_certify_restored(args))
    print(f"Certified the keys of this copy ({reports} report(s)); audited as keys_certified.")
    return 0
