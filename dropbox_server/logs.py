"""What the service logs, and how: one line a record, the day only, no exception text.

Exception messages, warning texts and asyncio's task reprs can all quote request bytes
(aiohttp's parser errors quote the request line and headers; its multipart warnings quote
the part header with the file name). So every record is formatted here with exception
types and code locations only, warnings from libraries are withheld, and asyncio's
unhandled-exception reports are reduced to the type.

Security: keeps invariant 1 (nothing a reporter sent in logs or crash output) and
invariant 2 (no time finer than a day next to anything a request caused).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DAY = "%Y-%m-%d"

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def exception_summary(exc: BaseException) -> str:
    """`ValueError at views.py:12 < formdata.py:80`: the type and where, never the message."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames[-6:]))
    return f"{type(exc).__name__} at {where}" if where else type(exc).__name__


class SafeFormatter(logging.Formatter):
    """Day-only times; exceptions as type and locations; no stack dumps."""

    def __init__(self) -> None:
        super().__init__(FORMAT, datefmt=DAY)

    def formatException(self, ei: _ExcInfo) -> str:
        return exception_summary(ei[1]) if ei[1] is not None else ""

    def formatStack(self, stack_info: str) -> str:
        return ""


class _WithholdWarnings(logging.Filter):
    """Warnings routed to logging keep their category only (the text may quote a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "py.warnings":
            record.msg, record.args = "a library warning was withheld from the log", ()
        return True


def configure_logging(stream: TextIO | None = None, level: int = logging.INFO) -> logging.Handler:
    """Install the safe handler on the root logger (replacing any other) and capture warnings."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SafeFormatter())
    handler.addFilter(_WithholdWarnings())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    logging.getLogger("stem").setLevel(logging.WARNING)  # stem logs every control-port call
    return handler


def loop_exception_handler(loop: asyncio.AbstractEventLoop, context: Mapping[str, Any]) -> None:
    """asyncio's report of an exception nobody awaited, without its message or task repr."""
    exc = context.get("exception")
    what = exception_summary(exc) if isinstance(exc, BaseException) else "no exception object"
    logging.getLogger("tipdrop").error("unhandled error in a background task: %s", what)
