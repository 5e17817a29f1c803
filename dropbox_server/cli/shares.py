"""Custodian shares on the command line: the flags that issue them, printing them once each,
asking for K of them, and refusing a data directory whose custodian key is not split yet.

The custodian key is held as K-of-N SLIP-39 word shares by named people (custody/custodian.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dropbox_server import audit, custodian_shares
from dropbox_server.cli.prompts import CliError, ask_shares
from dropbox_server.cli.settings_args import settings_from_args
from dropbox_server.custody import backup, custodian
from dropbox_server.store import Database
from dropbox_server.store.enrolments import legacy_custodian_in_file

# The commands that may run on a directory whose custodian key is not split yet.
RUNS_BEFORE_SPLIT = frozenset({"init", "demo", "split-custodian"})


def add_share_args(p: argparse.ArgumentParser) -> None:
    """--threshold, --shares and --holders for a command that issues custodian shares."""
    p.add_argument("--threshold", type=int, default=3, help="how many shares open the key (default 3)")
    p.add_argument("--shares", type=int, help="how many shares to issue (default 5, or one per holder)")
    p.add_argument("--holders", help='who holds each share, e.g. "security,desk,oversight,legal,chair"')


def share_spec(args: argparse.Namespace) -> custodian.ShareSpec:
    try:
        return custodian.ShareSpec.parse(args.threshold, args.shares, args.holders)
    except custodian.CustodianError as exc:
        raise CliError(str(exc)) from None


def show_shares(shares: list[custodian.IssuedShare], threshold: int) -> None:
    """Print each share once, labelled for its holder; on a terminal, one screen per holder."""
    print(f"Custodian shares: any {threshold} of these {len(shares)} open the custodian key.")
    print("Each is shown once, now. Write it on paper; it is not stored anywhere.")
    if shares:
        print(f"Custodian key fingerprint (write it beside each share; `keys backup` shows the one "
              f"in use): {shares[0].fingerprint}")
    tty = sys.stdout.isatty() and sys.stdin.isatty()
    if not sys.stdout.isatty():
        print("WARNING: standard output is not a terminal: the shares went wherever it leads; "
              "treat that as secret and destroy it once they are written down.", file=sys.stderr)
    for share in shares:
        if tty:
            input(f"Press Enter when only the holder of {share.label} can see the screen. ")
        print(f"--- {share.label} ---")
        print(share.words)
        if tty:
            input("Press Enter once it is written down (the screen is then cleared). ")
            print("\033[3J\033[2J\033[H", end="")  # scrollback too, then the screen
    print(f"Fewer than {threshold} shares open nothing; keep them with different people.")


def threshold_of(text: str) -> tuple[int, int]:
    try:
        info = custodian_shares.read_share(text)
    except custodian_shares.ShareError as exc:
        raise ValueError(str(exc)) from None
    return info.index, info.threshold


async def unlock_with_shares(db: Database, *, restored: bool = False) -> bytes:
    """Ask for K custodian shares (before any other secret) and return the custodian key.

    `restored`: checked against the pinned key only (`certify-restored`, see custodian.py).
    """
    opener = custodian.unlock_restored if restored else custodian.unlock
    try:
        await custodian.refuse_unsplit(db)
        return await opener(db, ask_shares(threshold_of))
    except custodian.CustodianError as exc:
        raise CliError(f"{exc}; nothing was changed") from None


def refuse_unsplit(args: argparse.Namespace) -> None:
    """Every command but init, demo and split-custodian refuses a directory not split yet."""
    command = getattr(args, "keys_command", None) or getattr(args, "command", "")
    data_dir = getattr(args, "data_dir", None)
    if command in RUNS_BEFORE_SPLIT or data_dir is None:
        return
    database = settings_from_args(args).database_path
    if database.exists() and legacy_custodian_in_file(database):
        raise CliError(custodian.SPLIT_FIRST)


def restore_custodian(backup_path: Path) -> bytes:
    """K custodian shares, checked against the public key the backup is sealed to."""
    public = backup.backup_custodian(backup_path)
    try:
        return custodian.private_from_shares(ask_shares(threshold_of), public)
    except custodian.CustodianError as exc:
        raise CliError(str(exc)) from None


def ask_custodian_shares() -> list[str]:
    """K custodian shares, asked before any other secret (one a line from a pipe)."""
    return ask_shares(threshold_of)


async def unlock(db: Database, shares: list[str]) -> bytes:
    """The custodian private key rebuilt from `shares`; refused shares are audited.

    Security: the failed attempt is recorded (with the operator), never the shares.
    """
    try:
        await custodian.refuse_unsplit(db)
    except custodian.CustodianError as exc:
        raise CliError(str(exc)) from None
    try:
        return await custodian.unlock(db, shares)
    except custodian.CustodianError as exc:
        await audit.record(db, audit.pending("custodian_shares_refused", username="(command line)"))
        raise CliError(f"{exc}; nothing was changed") from None
