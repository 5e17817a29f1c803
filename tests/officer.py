"""The security officer the command-line tests run as: every changing command records an operator."""

from __future__ import annotations

from collections.abc import Sequence

OPERATOR = "test.officer"
OFFICER = ("--operator", OPERATOR)


def officer(args: Sequence[str]) -> tuple[str, ...]:
    """`--operator` for the commands that require it (`keys`, `retention`, `restore`), else nothing."""
    return OFFICER if args and args[0] in ("keys", "retention", "restore") else ()
