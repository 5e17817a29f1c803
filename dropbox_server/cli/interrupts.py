"""Ctrl-C and closed pipes on the command line: say what was changed, exit 130, no traceback.

Outside a change, an interrupt ends the process at once with "interrupted; nothing was
changed" (commands only read and ask until then; SQLite rolls back anything uncommitted).
Inside `changing(...)` the interrupt waits until that step is done, so the message can say
exactly what was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import termios
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType

EXIT_INTERRUPTED = 130


@dataclass
class _State:
    """What the handler needs to know: inside a change, an interrupt waiting, what is done."""

    depth: int = 0
    waiting: bool = False
    done: list[str] = field(default_factory=list)


class Interrupted(Exception):
    """Raised after a change finished while an interrupt was waiting."""


def _restore_echo() -> None:
    # A Ctrl-C at a hidden prompt must not leave the terminal without echo.
    with contextlib.suppress(OSError, termios.error, ValueError):
        fd = sys.stdin.fileno()
        if os.isatty(fd):
            attrs = termios.tcgetattr(fd)
            attrs[3] |= termios.ECHO | termios.ICANON
            termios.tcsetattr(fd, termios.TCSADRAIN, attrs)


def _message(why: str, done: list[str]) -> str:
    if not done:
        return f"{why}; nothing was changed"
    return f"{why}; already done: " + "; ".join(done)


def leave(done: list[str], status: int = EXIT_INTERRUPTED, why: str = "interrupted") -> None:
    """Say what was done and end now, without tracebacks or event-loop shutdown noise."""
    _restore_echo()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        print(_message(why, done), file=sys.stderr, flush=True)
    os._exit(status)


class Guard:
    """One per command run: installed before the command reads anything."""

    def __init__(self) -> None:
        self._state = _State()

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        if self._state.depth:
            self._state.waiting = True
            return
        leave(self._state.done)

    @contextlib.contextmanager
    def changing(self, what: str) -> Iterator[None]:
        """Hold interrupts while `what` is changed; then, if one came, stop saying it was done."""
        self._state.depth += 1
        try:
            yield
        finally:
            self._state.depth -= 1
        self._state.done.append(what)
        if self._state.waiting and not self._state.depth:
            leave(self._state.done)

    @property
    def done(self) -> list[str]:
        return list(self._state.done)

    def leave_interrupted(self) -> None:
        """A KeyboardInterrupt that got through (before install, or in serve): same message."""
        leave(self._state.done)

    def leave_closed_output(self) -> None:
        """Standard output was closed (`| head`): say so on stderr and what was done, exit 1."""
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        leave(self._state.done, status=1, why="standard output was closed before the end")


_GUARD = Guard()


def guard() -> Guard:
    """The process's guard (signals are per process, so there is exactly one)."""
    return _GUARD
