"""Every answer a command reads comes through here: hidden on a terminal, one line each from a pipe.

One helper for all input keeps the order of questions the same for every role and option, so a
line meant as a passphrase can never become a password, and extra lines are refused rather than
silently ignored (custody's shares prompt slots in here later).
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys

# Who ran a command, as recorded on its audit entries: a short name, no spaces (e.g. jo.smith).
_OPERATOR = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,63}")


class CliError(Exception):
    """A command cannot go ahead; the message says what to do. Exit status 1, no traceback."""


def _read_line(label: str) -> str:
    """The next line of a pipe (for scripts and tests), without its newline."""
    line = sys.stdin.readline()
    if not line:
        raise CliError(f"expected {label[:1].lower()}{label[1:]} on standard input; nothing was changed")
    return line.rstrip("\r\n")


def ask_secret(label: str, *, confirm: bool = False) -> str:
    """Read a secret: hidden from a terminal (asked twice with `confirm`), or the next line of a pipe."""
    if sys.stdin.isatty():
        value = getpass.getpass(f"{label}: ")
        if confirm and getpass.getpass(f"{label} (again): ") != value:
            raise CliError("the two entries did not match; nothing was changed")
    else:
        value = _read_line(label)
    if not value:
        raise CliError(f"{label} cannot be empty; nothing was changed")
    return value


def ask_line(label: str) -> str:
    """Read a visible answer: typed on a terminal, or the next line of a pipe."""
    if sys.stdin.isatty():
        return input(f"{label}: ").strip()
    return _read_line(label).strip()


def end_of_input() -> None:
    """Refuse any input left after the last answer, before anything is changed.

    Security: a line meant for a question this command does not ask (a passphrase, say)
    must never be taken as the answer to another one, nor silently dropped.
    """
    if sys.stdin.isatty():
        return
    rest = sys.stdin.read()
    if rest.strip():
        extra = len([line for line in rest.splitlines() if line.strip()])
        raise CliError(
            f"{extra} more line(s) on standard input than this command asks for; "
            "nothing was changed (check the order of the answers)"
        )


def confirm(question: str, *, assume_yes: bool) -> bool:
    """Ask a yes/no question before anything destructive; --yes answers it in scripts."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise CliError(f"{question} Re-run with --yes to confirm without a terminal.")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def confirm_typed(question: str, phrase: str) -> bool:
    """A confirmation that must be typed out (also read from a pipe: --yes never answers it).

    For changes that lose something for good, so a habit of typing "y" is not enough.
    """
    print(f"{question}\nType {phrase!r} to go ahead:", file=sys.stderr)
    return ask_line("Confirmation") == phrase


def add_operator(parser: argparse.ArgumentParser, *, required: bool | None = True) -> None:
    """`--operator NAME`: who runs the command, recorded on its audit entries.

    Asked first on a terminal when not given. Without a terminal it is required, except where
    `required` is False (a scheduled copy has no operator; its entries say so by lacking one).
    None: a command that records nothing takes it for uniformity and never asks.
    """
    parser.add_argument(
        "--operator", help="your name as recorded in the audit log, e.g. jo.smith (asked if not given)"
    )
    parser.set_defaults(operator_required=required)


def operator_name(args: argparse.Namespace) -> str | None:
    """The operator from --operator, else asked on a terminal; refused if missing or malformed."""
    name = getattr(args, "operator", None)
    required = getattr(args, "operator_required", True)
    if name is None:
        if required is None or (not required and not sys.stdin.isatty()):
            return None
        if not sys.stdin.isatty():
            raise CliError("give --operator NAME (who runs this, for the audit log); nothing was changed")
        name = ask_line("Your name for the audit log (e.g. jo.smith)")
    if not _OPERATOR.fullmatch(name):
        raise CliError(
            "an operator name is a letter then up to 63 letters, digits, '.', '_' or '-' "
            "(e.g. jo.smith); nothing was changed"
        )
    return str(name)
