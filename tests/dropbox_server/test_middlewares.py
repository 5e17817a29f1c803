"""The last line of defence: any failure becomes a friendly 500 page, and nothing leaks to logs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from dropbox_server.app import create_reporter_app
from dropbox_server.config import Settings
from dropbox_server.web.appkeys import Services
from tests.conftest import _start


@pytest.fixture
async def failing_site(settings: Settings, services: Services) -> AsyncIterator[str]:
    app = create_reporter_app(settings, services)

    async def explode(request: web.Request) -> web.Response:
        secret = "MARKERSECRETZq9 typed by a reporter"
        raise ValueError(f"could not process {secret}")

    app.router.add_get("/explode", explode)
    runner, url = await _start(app)
    try:
        yield url
    finally:
        await runner.cleanup()


async def test_unhandled_error_is_a_friendly_500_and_logs_no_content(
    failing_site: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as http, http.get(failing_site + "/explode") as resp:
        page = await resp.text()
    assert resp.status == 500
    assert "Something went wrong on our side" in page
    assert "Traceback" not in page and "MARKERSECRET" not in page
    assert resp.headers["Cache-Control"] == "no-store"
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "ValueError" in logged
    assert "MARKERSECRET" not in logged
