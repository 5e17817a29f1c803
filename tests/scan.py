"""Scanning the data directory for plaintext that must never be there."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import ahocorasick


def encodings(text: str) -> list[bytes]:
    """The ways a string could sit on disk: UTF-8 and both UTF-16 byte orders."""
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be")]


class Needles:
    """Every encoding of every needle in one Aho-Corasick automaton: one pass per file finds them all.

    Searching a file once per needle and encoding took minutes for the suite's thousands of
    receipts and typed values; this takes one linear pass. Bytes are mapped one-to-one onto
    Latin-1 characters, so a match is exactly a byte-for-byte match."""

    def __init__(self, needles: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        self._empty = True
        for needle in needles:
            for encoded in encodings(needle):
                self._automaton.add_word(encoded.decode("latin-1"), needle)
                self._empty = False
        if not self._empty:
            self._automaton.make_automaton()

    def found_in(self, data: bytes) -> set[str]:
        """The needles that occur in `data` in any of their encodings."""
        if self._empty:
            return set()
        return {needle for _, needle in self._automaton.iter(data.decode("latin-1"))}


def scan(folders: list[Path], needles: list[str]) -> list[tuple[str, str]]:
    """Every (file, needle) where a needle occurs in any encoding in any file under the folders."""
    return scan_with(Needles(needles), folders)


def scan_with(finder: Needles, folders: list[Path]) -> list[tuple[str, str]]:
    """`scan` with needles already built, for a caller that searches several places."""
    hits = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            hits += [(str(path), needle) for needle in sorted(finder.found_in(path.read_bytes()))]
    return hits
