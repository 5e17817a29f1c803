"""Desk tests run on a data directory made with `desk` routing (the default for `init`)."""

from __future__ import annotations

import pytest

from tests.investigator.conftest import clock, workspace

__all__ = ["clock", "workspace"]


@pytest.fixture
def routing() -> str:
    return "desk"
