"""Copies of JPEG, PNG and PDF files with their metadata removed, for investigators to share.

The copy is made by files/clean_worker.py in a separate, resource-limited process (its
docstring says how each kind is rebuilt): a PDF is redrawn as pictures of its pages, an
image is rebuilt from its pixels. The plaintext goes to it through a pipe and the copy
comes back the same way; neither ever reaches the disk.

Limits: the worker needs the whole file in memory, so only files up to STRIP_MAX_BYTES are
offered; larger ones can only be downloaded as they are.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

STRIP_MAX_BYTES = 64 * 1024 * 1024
STRIPPABLE = frozenset({"jpeg", "png", "pdf"})
_WORKER = Path(__file__).with_name("clean_worker.py")


@dataclass(frozen=True)
class CleanLimits:
    """What one clean copy may use; past any of these it is refused (CannotStrip)."""

    memory_bytes: int = 1024 * 1024 * 1024
    cpu_seconds: int = 60
    wall_seconds: float = 120.0
    max_pages: int = 500
    dpi: int = 150
    # A page is drawn smaller rather than beyond this (A3 at 150 dpi is 5.6 million pixels).
    max_page_pixels: int = 25_000_000
    # Decompression bombs: refuse images beyond ~90 megapixels rather than exhaust memory.
    max_image_pixels: int = 90_000_000


class CannotStrip(Exception):
    """The file is not a readable JPEG, PNG or PDF, or it is too large to clean here."""


def can_strip(kind: str, size: int) -> bool:
    return kind in STRIPPABLE and size <= STRIP_MAX_BYTES


def strip_metadata(kind: str, data: bytes, limits: CleanLimits | None = None) -> bytes:
    """A copy of `data` without its metadata; raises CannotStrip. Slow and blocking: run off the loop.

    Security: the worker runs in isolated mode with an empty environment and stderr
    discarded, so nothing of the file (a name, a parser's message) reaches a log.
    """
    if not can_strip(kind, len(data)):
        raise CannotStrip(kind)
    limits = limits or CleanLimits()
    worker_limits = {k: v for k, v in asdict(limits).items() if k != "wall_seconds"}
    worker_limits["input_bytes"] = STRIP_MAX_BYTES
    try:
        done = subprocess.run(  # noqa: S603 (our own script, arguments we build)
            [sys.executable, "-I", str(_WORKER), kind, json.dumps(worker_limits)],
            input=data,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=limits.wall_seconds,
            env={},
            cwd="/",
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CannotStrip("took too long") from None
    if done.returncode != 0 or not done.stdout:
        raise CannotStrip(kind)
    return done.stdout
