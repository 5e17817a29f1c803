#!/usr/bin/env python3
"""The tip drop's single entry point: `python run.py --help` lists the subcommands."""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def _interrupted_while_starting(_signum: int, _frame: object) -> None:
    """Ctrl-C before the command has started (while importing): nothing was changed yet."""
    sys.stderr.write("interrupted; nothing was changed\n")
    os._exit(130)


if __name__ == "__main__" and sys.flags.safe_path:
    # `python -I` (the officers' door, deploy/door) leaves the script's own folder off the path;
    # the code lives there (root-owned), so put back exactly that folder and nothing else.
    sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

if __name__ == "__main__":
    # Installed before the (slow) imports, so an early Ctrl-C never shows a traceback.
    signal.signal(signal.SIGINT, _interrupted_while_starting)
    signal.signal(signal.SIGTERM, _interrupted_while_starting)

import argparse  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import onion_config  # noqa: E402
from dropbox_server import audit  # noqa: E402
from dropbox_server.cli import audit as audit_cli  # noqa: E402
from dropbox_server.cli import backup, door, keys, retention, serve, shares, stats, status  # noqa: E402
from dropbox_server.cli.interrupts import guard  # noqa: E402
from dropbox_server.cli.prompts import CliError, operator_name  # noqa: E402
from dropbox_server.datadir import DataDirError  # noqa: E402
from dropbox_server.logs import configure_logging  # noqa: E402

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """One module per command group registers its subcommands."""
    parser = argparse.ArgumentParser(
        prog="run.py", description="Anonymous tip drop for reports of police corruption and abuse."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    keys.register(sub)
    serve.register(sub)
    audit_cli.register(sub)
    stats.register(sub)
    retention.register(sub)
    status.register(sub)
    backup.register(sub)
    return parser


def _run_as_operator(func: Command, args: argparse.Namespace) -> int:
    """Commands that change something record who ran them (`--operator`, or asked first)."""
    if not hasattr(args, "operator_required"):
        return func(args)
    name = operator_name(args)
    if name is None:
        return func(args)
    args.operator = name  # asked once: the command reads it here, never asks again
    with audit.operator_scope(name):
        return func(args)


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    given = sys.argv[1:] if argv is None else list(argv)
    if given[:1] == [door.COMMAND]:
        return _through_the_door(given[1:])
    return _execute(build_parser().parse_args(given))


def _through_the_door(given: list[str]) -> int:
    """`officer-door CONFIG ARGS...`: what security staff run through sudo (cli/door.py).

    Security: CONFIG comes from the root-owned wrapper, never from the caller; the command is
    parsed by the door's allowlist, then by the real parser, then checked again. An OSError
    becomes one line saying what (if anything) was done, with no path.
    """
    if not given:
        print(f"error: usage: run.py {door.COMMAND} CONFIG COMMAND ...", file=sys.stderr)
        return 2
    try:
        with door.opened(Path(given[0]), given[1:]) as planned:
            args = build_parser().parse_args(planned.argv)
            door.check(args, planned)
            with door.output_aside(planned):
                status = _execute(args)
            if status == 0:
                door.deliver(planned)
            return status
    except (door.DoorRefused, DataDirError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # A failed write or read (a full disk, a limit, a permission): a message for the
        # officer, never a traceback nor a path (insider finding D3b).
        reason = exc.strerror or type(exc).__name__
        done = len(guard().done)
        changed = "nothing was changed" if not done else f"{done} change(s) made first, see the audit log"
        print(f"error: a file could not be written or read ({reason}); {changed}", file=sys.stderr)
        # Standard output may be what failed: the interpreter's last flush must not fail again.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _execute(args: argparse.Namespace) -> int:
    """Run a parsed command: operator scope, interrupts, and friendly errors."""
    func: Command = args.func
    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    if args.command in ("serve", "demo"):
        # serve and demo stop on SIGINT/SIGTERM themselves.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    else:
        # Every other command says what it changed when interrupted.
        guard().install()
    try:
        shares.refuse_unsplit(args)
        status = _run_as_operator(func, args)
        sys.stdout.flush()
        return status
    except (CliError, DataDirError, onion_config.TorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        guard().leave_closed_output()
        return 1
    except KeyboardInterrupt:
        guard().leave_interrupted()
        return 130
    finally:
        # In-process callers (tests) get their handlers back; a finished command ignores late signals.
        for sig, handler in zip((signal.SIGINT, signal.SIGTERM), previous, strict=True):
            signal.signal(sig, signal.SIG_IGN if handler is _interrupted_while_starting else handler)


if __name__ == "__main__":
    sys.exit(main())
