"""The plaintext scanner the invariant tests rely on finds exactly what a naive search finds."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.scan import Needles, encodings, scan


def naive(data: bytes, needles: list[str]) -> set[str]:
    return {n for n in needles if any(enc in data for enc in encodings(n))}


@settings(max_examples=300, deadline=None)
@given(
    needles=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=8),
    noise=st.binary(max_size=64),
    picks=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 2), st.integers(0, 64))),
)
def test_the_automaton_agrees_with_a_search_per_needle(
    needles: list[str], noise: bytes, picks: list[tuple[int, int, int]]
) -> None:
    data = bytearray(noise)
    for which, encoding, where in picks:
        data[where:where] = encodings(needles[which % len(needles)])[encoding]
    assert Needles(needles).found_in(bytes(data)) == naive(bytes(data), needles)


def test_each_encoding_overlaps_and_edges_are_found(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.bin").write_bytes("Ünïcode secret".encode("utf-16-be") + b"\xff")
    (tmp_path / "sub" / "b.wal").write_bytes("receipt-words".encode("utf-16-le"))
    (tmp_path / "c.db").write_bytes(b"\x00abcdefgh")
    needles = ["Ünïcode secret", "receipt-words", "words", "abcdefgh", "bcdefghi", "not there"]
    assert sorted(scan([tmp_path], needles)) == sorted(
        [
            (str(tmp_path / "a.bin"), "Ünïcode secret"),
            (str(tmp_path / "sub" / "b.wal"), "receipt-words"),
            (str(tmp_path / "sub" / "b.wal"), "words"),
            (str(tmp_path / "c.db"), "abcdefgh"),
        ]
    )
    assert Needles([]).found_in(b"anything") == set()
