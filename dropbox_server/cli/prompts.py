"""Asking for secrets on the command line: hidden on a terminal, one line each from a pipe."""

from __future__ import annotations

import getpass
import sys


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


def confirm(question: str, *, assume_yes: bool) -> bool:
    """Ask a yes/no question before anything destructive; --yes answers it in scripts."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise CliError(f"{question} Re-run with --yes to confirm without a terminal.")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
