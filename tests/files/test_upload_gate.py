"""The upload gate on its own: slots are released, the byte budget refills with time."""

from __future__ import annotations

from pathlib import Path

import pytest

from dropbox_server.config import UploadLimits
from dropbox_server.files.admission import FilesRefused, UploadGate

MIB = 1024 * 1024


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_slots_are_held_while_admitted_and_released_after(tmp_path: Path) -> None:
    gate = UploadGate(UploadLimits(concurrent_uploads=1, free_space_watermark_bytes=0), tmp_path)
    first = gate.request(MIB, lambda token: token == "good")
    with first:
        first.admit("good")
        second = gate.request(MIB, lambda token: token == "good")
        with pytest.raises(FilesRefused) as refused:
            second.admit("good")
        assert refused.value.reason == "busy"
    assert gate.active == 0
    with gate.request(MIB, lambda token: token == "good") as third:
        third.admit("good")
        assert gate.active == 1


def test_a_bad_token_is_refused_before_a_slot_is_taken(tmp_path: Path) -> None:
    gate = UploadGate(UploadLimits(free_space_watermark_bytes=0), tmp_path)
    spent: list[str] = []
    with gate.request(MIB, lambda token: spent.append(token) is None and False) as admission:
        with pytest.raises(FilesRefused) as refused:
            admission.admit("forged")
        assert refused.value.reason == "csrf" and gate.active == 0
        assert admission.token_ok("forged") is False
    assert spent == ["forged"]  # checked (and a single-use token spent) once only


def test_the_hourly_budget_refills_with_time(tmp_path: Path) -> None:
    clock = Clock()
    gate = UploadGate(UploadLimits(bytes_per_hour=3600 * 1000, free_space_watermark_bytes=0), tmp_path, clock=clock)
    gate.charge(3600 * 1000)
    with pytest.raises(FilesRefused):
        gate.charge(1)
    clock.now += 10  # 1,000 bytes a second come back
    gate.charge(10_000)
    with pytest.raises(FilesRefused):
        gate.charge(1)


def test_the_watermark_counts_uploads_already_running(tmp_path: Path) -> None:
    import shutil

    free = shutil.disk_usage(tmp_path).free
    gate = UploadGate(UploadLimits(free_space_watermark_bytes=free - 300 * MIB), tmp_path)
    with gate.request(200 * MIB, lambda _t: True) as first:
        first.admit("")
        with pytest.raises(FilesRefused) as refused, gate.request(200 * MIB, lambda _t: True) as second:
            second.admit("")
        assert refused.value.reason == "disk"
