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
from collections.abc import Callable

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
def ask_new_password(
    username: str, weakness: Callable[[str], str | None], suggestion: Callable[[], str]
) -> str:
    """A new staff password that `weakness` accepts, or a generated passphrase (blank entry).

    Security: a weak password is refused with zxcvbn's reasons; the generated passphrase is
    shown once, on this terminal, to hand over with the authenticator secret.
    """
    offered = suggestion()
    if sys.stdin.isatty():
        print(f"Suggested passphrase for {username} (press Enter at the prompt to use it): {offered}")
        value = getpass.getpass(f"New password for {username}: ")
        if value and getpass.getpass(f"New password for {username} (again): ") != value:
            raise CliError("the two entries did not match")
    else:
        line = sys.stdin.readline()
        if not line:
            raise CliError(f"expected a new password for {username} on standard input (blank: generate one)")
        value = line.rstrip("\n")
    if not value:
        print(f"{username}'s password is the generated passphrase: {offered}")
        return offered
    problem = weakness(value)
    if problem is not None:
        raise CliError(
            f"that password is too weak: {problem} Use a longer one, or leave it blank for a "
            "generated passphrase; nothing was changed"
        )
    return value


def _next_secret(label: str) -> str | None:
    """One secret: hidden from a terminal, the next line of a pipe; None at the end of input."""
    if sys.stdin.isatty():
        return getpass.getpass(f"{label}: ").strip() or None
    line = sys.stdin.readline()
    return line.strip() or None if line else None


def ask_shares(threshold_of: Callable[[str], tuple[int, int]]) -> list[str]:
    """Read custodian shares until there are as many as their threshold asks for.

    `threshold_of` checks one share (raising ValueError with a plain reason) and returns
    (its index, the threshold it carries). From a pipe, shares come one a line before any
    other secret; a blank line or the end of input stops, naming how many were still needed.
    Security: typed hidden on a terminal; a mistyped share is refused on its own.
    """
    shares: list[str] = []
    seen: set[int] = set()
    threshold = 0
    while not threshold or len(shares) < threshold:
        label = f"Custodian share {len(shares) + 1}" + (f" of {threshold}" if threshold else "")
        text = _next_secret(label)
        if text is None:
            if not threshold:
                raise CliError("this needs the custodian shares; none was given, nothing was changed")
            raise CliError(
                f"{threshold - len(shares)} more custodian share(s) needed ({threshold} in all); "
                "nothing was changed"
            )
        try:
            index, needs = threshold_of(text)
        except ValueError as exc:
            if sys.stdin.isatty():
                print(f"{exc}. Type that share again.", file=sys.stderr)
                continue
            raise CliError(f"custodian share {len(shares) + 1}: {exc}; nothing was changed") from None
        if index in seen:
            raise CliError("the same custodian share was given twice; nothing was changed")
        if threshold and needs != threshold:
            raise CliError("these shares come from different splits; nothing was changed")
        seen.add(index)
        shares.append(text)
        threshold = needs
        if len(shares) < threshold and sys.stdin.isatty():
            print(f"Share accepted; {threshold - len(shares)} more needed.", file=sys.stderr)
    return shares


def confirm(question: str, *, assume_yes: bool) -> bool:
    """Ask a yes/no question before anything destructive; --yes answers it in scripts."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise CliError(f"{question} Re-run with --yes to confirm without a terminal.")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def add_yes(parser: argparse.ArgumentParser) -> None:
    """`--yes`: answer a command's confirmation question (for scripts, which have no terminal)."""
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def declined(question: str, *, assume_yes: bool) -> bool:
    """Ask `question` before a change (see `confirm`); on a no, say nothing was changed.

    The caller then exits with status 1, so a script sees the change did not happen.
    """
    if confirm(question, assume_yes=assume_yes):
        return False
    print("Nothing was changed.")
    return True


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
