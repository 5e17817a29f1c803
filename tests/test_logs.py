"""Logs carry the day only, exception types and locations only, and no library warning text."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import sys
import warnings

from dropbox_server.logs import SafeFormatter, configure_logging, loop_exception_handler

SECRET = "Meeting; DS Smith; bribes.pdf"


def _record_with_exception() -> logging.LogRecord:
    try:
        raise ValueError(f"could not parse {SECRET}")
    except ValueError:
        return logging.getLogger("aiohttp.server").makeRecord(
            "aiohttp.server", logging.ERROR, __file__, 1, "Error handling request", (), sys.exc_info()
        )


def test_exceptions_are_logged_as_type_and_place_only() -> None:
    line = SafeFormatter().format(_record_with_exception())
    assert SECRET not in line and "Traceback" not in line
    assert "ValueError at test_logs.py:" in line
    assert re.match(r"^\d{4}-\d{2}-\d{2} ERROR aiohttp\.server: ", line), line
    assert not re.search(r"\d{2}:\d{2}", line), "a time of day was logged"


def test_warnings_and_loop_errors_are_withheld() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    # An earlier in-process run.py main() leaves logging's hook recorded while pytest has since
    # restored warnings.showwarning, which would make the capture below a silent no-op.
    logging.captureWarnings(False)
    handler = configure_logging(stream)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn(f"bad header {SECRET}", RuntimeWarning, stacklevel=1)
        loop = asyncio.new_event_loop()
        try:
            raise KeyError(SECRET)
        except KeyError as exc:
            loop_exception_handler(loop, {"message": SECRET, "exception": exc})
        finally:
            loop.close()
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        for old in saved[0]:
            root.addHandler(old)
        root.setLevel(saved[1])
    out = stream.getvalue()
    assert SECRET not in out and "Smith" not in out
    assert "withheld" in out and "KeyError at test_logs.py:" in out
