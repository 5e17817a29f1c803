"""Asking for secrets on the command line: hidden on a terminal, one line each from a pipe."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable


class CliError(Exception):
    """A command cannot go ahead; the message says what to do. Exit status 1, no traceback."""


def ask_secret(label: str, *, confirm: bool = False) -> str:
    """Read a secret: hidden from a terminal, or the next line of a pipe (for scripts and tests)."""
    if sys.stdin.isatty():
        value = getpass.getpass(f"{label}: ")
        if confirm and getpass.getpass(f"{label} (again): ") != value:
            raise CliError("the two entries did not match")
    else:
        line = sys.stdin.readline()
        if not line:
            raise CliError(f"expected {label.lower()} on standard input")
        value = line.rstrip("\n")
    if not value:
        raise CliError(f"{label} cannot be empty")
    return value


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
