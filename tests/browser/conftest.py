"""Two fresh headless Chromiums per test: one with JavaScript off to drive pages, one to audit them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, async_playwright

from tests.browser.chromium import launch


@dataclass
class Browsers:
    without_javascript: BrowserContext
    auditor: BrowserContext


@pytest.fixture
async def browsers(tmp_path: Path) -> AsyncIterator[Browsers]:
    async with async_playwright() as playwright:
        nojs = await launch(playwright, tmp_path / "profile-no-javascript", javascript=False)
        auditor = await launch(playwright, tmp_path / "profile-auditor", javascript=True)
        try:
            yield Browsers(nojs, auditor)
        finally:
            await nojs.close()
            await auditor.close()
