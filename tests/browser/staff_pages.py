"""Staff pages in Chromium: signing in, keeping each page reached for the audit, and the audit
itself with its findings kept in artifacts/a11y/ (the reporter's journey has tests/browser/journey.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyotp
from playwright.async_api import BrowserContext, Page, Response

from dropbox_server.i18n import DEFAULT_LANGUAGE
from tests.browser.axe import Captured, audit, capture
from tests.browser.journey import ROOT

AUDITS = ROOT / "artifacts" / "a11y"
SIGN_IN_BUTTON = "form[action^='/sign-in'] button[type=submit]"


def in_language(url: str, lang: str) -> str:
    """`url` asked for in `lang`: the default language needs no parameter."""
    if lang == DEFAULT_LANGUAGE:
        return url
    return url + ("&" if "?" in url else "?") + f"lang={lang}"


async def sign_in(page: Page, base: str, username: str, password: str, totp_secret: str, lang: str) -> Response | None:
    """Sign in on the staff site's form with a password and the current TOTP code; where it lands."""
    await page.goto(in_language(base + "/sign-in", lang))
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.fill("#code", pyotp.TOTP(totp_secret).now())
    async with page.expect_navigation() as navigation:
        await page.click(SIGN_IN_BUTTON)
    return await navigation.value


@dataclass
class StaffPages:
    """Pages of the site at `base`, in `lang`, each kept as the browser received it."""

    base: str
    lang: str
    pages: list[Captured] = field(default_factory=list)

    async def visit(self, page: Page, name: str, path: str, status: int = 200) -> Captured:
        """Go to `path` in `page` and keep what came back; it must have `status`."""
        kept = await self._keep(name, await page.goto(in_language(self.base + path, self.lang)))
        assert kept.status == status, (name, kept.status)
        return kept

    async def press(self, page: Page, name: str, selector: str, status: int | None = None) -> Captured:
        """Press a submit button (or follow a link) and keep the page it leads to."""
        async with page.expect_navigation() as navigation:
            await page.click(selector)
        kept = await self._keep(name, await navigation.value)
        assert status is None or kept.status == status, (name, kept.status)
        return kept

    async def _keep(self, name: str, response: Response | None) -> Captured:
        kept = await capture(name, response)
        self.pages.append(kept)
        return kept


async def assert_accessible(auditor: BrowserContext, pages: list[Captured], artifact: str) -> None:
    """axe-core's WCAG 2.2 AA rules and reflow at 320 CSS pixels on every page: none may fail.

    What was found is written to artifacts/a11y/`artifact`.json either way.
    """
    found = await audit(await auditor.new_page(), pages)
    AUDITS.mkdir(parents=True, exist_ok=True)
    (AUDITS / f"{artifact}.json").write_text(json.dumps(found.by_page(pages), indent=1))
    assert not found.violations, "\n".join(map(str, found.violations))
    assert not found.overflow, f"wider than 320 CSS pixels: {found.overflow}"
