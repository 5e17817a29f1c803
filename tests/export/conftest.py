"""The investigator workspace fixtures (both sites, an injected clock), shared with these tests."""

from tests.investigator.conftest import clock, workspace

__all__ = ["clock", "workspace"]
