"""Repeat-subject tests run at the desk (the default routing) unless a test says otherwise."""

from __future__ import annotations

import pytest

from tests.investigator.conftest import clock, workspace

__all__ = ["clock", "workspace"]


@pytest.fixture
def routing() -> str:
    return "desk"
