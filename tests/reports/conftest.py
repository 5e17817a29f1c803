"""The use-case tests reuse the investigator workspace (both sites, a fake clock)."""

from tests.investigator.conftest import clock, workspace

__all__ = ["clock", "workspace"]
