"""V3 over HTTP: what a reporter sees when a writer has deleted the hub's unit row (direct
routing) and they choose "I don't know": a friendly "cannot accept this now, nothing was
kept" page (503) with everything they typed still in the form, nothing logged, and health
red (tests/keys/test_unit_row_deleted.py)."""

from __future__ import annotations

import logging
import sqlite3

import aiohttp
import pytest

from dropbox_server.forces import HUB_ID
from tests.conftest import Sites
from tests.journeys import Reporter


async def test_reporter_choosing_i_dont_know_gets_a_clear_page_and_keeps_the_text(
    sites: Sites, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression (insider finding V3, was 'attack succeeds': a 500 page and the text lost)."""
    with sqlite3.connect(sites.settings.database_path) as raw:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("DELETE FROM units WHERE id = ?", (HUB_ID,))
    reporter = Reporter(http, sites.reporter_url)
    with caplog.at_level(logging.INFO):
        status, page = await reporter.submit(force="unknown", what_happened="Zqlost my whole account")
    assert status == 503 and "We cannot accept this now" in page and "Nothing was kept" in page
    assert "Zqlost my whole account" in page  # what they typed is still in the form
    assert await sites.services.db.fetch_all("SELECT id FROM reports") == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Zqlost" not in logged
