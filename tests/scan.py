"""Scanning the data directory for plaintext that must never be there."""

from __future__ import annotations

from pathlib import Path


def encodings(text: str) -> list[bytes]:
    """The ways a string could sit on disk: UTF-8 and both UTF-16 byte orders."""
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be")]


def scan(folders: list[Path], needles: list[str]) -> list[tuple[str, str]]:
    """Every (file, needle) where a needle occurs in any encoding in any file under the folders."""
    hits = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            for needle in needles:
                if any(enc in data for enc in encodings(needle)):
                    hits.append((str(path), needle))
    return hits
