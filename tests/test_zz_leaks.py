"""After every journey of the run: no typed text and no receipt anywhere on the server side."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import leakcheck


def test_no_leaks_after_the_whole_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    if len(leakcheck.remembered) < 20:
        pytest.skip("too few journeys ran in this session for a meaningful scan")
    base = tmp_path_factory.getbasetemp()
    folders = leakcheck.server_folders(base)
    hits = leakcheck.leaks(base)
    print(
        f"leak scan: {len(leakcheck.remembered)} markers and receipts, {len(folders)} data "
        f"directories, {len(leakcheck.log_keeper.messages)} log lines: {len(hits)} hits"
    )
    assert folders
    assert hits == []


def test_the_scan_finds_a_planted_leak(tmp_path: Path) -> None:
    planted = tmp_path / "data"
    planted.mkdir()
    (planted / "pepper.key").write_bytes(b"\0" * 32)
    (planted / "tipdrop.sqlite3-wal").write_bytes("x PLANTEDLEAKZq9 x".encode("utf-16-le"))
    leakcheck.remember("PLANTEDLEAKZq9")
    try:
        assert ("log", "PLANTEDLEAKZq9") not in leakcheck.leaks(tmp_path)
        assert any(n == "PLANTEDLEAKZq9" for _, n in leakcheck.leaks(tmp_path))
    finally:
        (planted / "tipdrop.sqlite3-wal").unlink()
        leakcheck.remembered.discard("PLANTEDLEAKZq9")
