"""A reporter in Chromium without JavaScript: each page they reach is kept for the audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Page, Response

from dropbox_server.i18n import DEFAULT_LANGUAGE
from tests.browser.axe import Captured, capture

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots" / "journey"
SHOT_WIDTHS = (360, 1280)


@dataclass
class Journey:
    """One browser tab in one language; `pages` holds every response it was shown."""

    page: Page
    base: str
    lang: str
    pages: list[Captured] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)

    def url(self, path: str, extra: str = "") -> str:
        params = [p for p in (extra, "" if self.lang == DEFAULT_LANGUAGE else f"lang={self.lang}") if p]
        return self.base + path + ("?" + "&".join(params) if params else "")

    async def goto(self, name: str, path: str, extra: str = "") -> Captured:
        return await self._keep(name, await self.page.goto(self.url(path, extra)))

    async def follow(self, name: str, selector: str) -> Captured:
        """Follow a link or press a submit button, as a person would."""
        async with self.page.expect_navigation() as navigation:
            await self.page.click(selector)
        return await self._keep(name, await navigation.value)

    async def _keep(self, name: str, response: Response | None) -> Captured:
        captured = await capture(name, response)
        self.pages.append(captured)
        return captured

    async def shoot(self, step: str) -> None:
        """Full-page screenshots of this step at a phone's width and a desktop's."""
        for width in SHOT_WIDTHS:
            await self.page.set_viewport_size({"width": width, "height": 900})
            path = SHOTS / f"{self.lang}-{width}-{len(self.shots) // len(SHOT_WIDTHS) + 1:02d}-{step}.png"
            await self.page.screenshot(path=str(path), full_page=True)
            self.shots.append(path)
        await self.page.set_viewport_size({"width": 1280, "height": 900})
