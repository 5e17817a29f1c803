"""Running axe-core (shipped by the axe-playwright-python package) on a page a browser received."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from playwright.async_api import Page, Response, Route

# WCAG 2.2 level AA, with everything from A and from 2.0 and 2.1 beneath it.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_KEEP_HEADERS = {
    "content-type",
    "content-security-policy",
    "referrer-policy",
    "x-frame-options",
    "x-content-type-options",
    "cache-control",
    "permissions-policy",
}


@cache
def axe_source() -> str:
    """axe.min.js as the axe-playwright-python wheel ships it (installed with the test extras)."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Captured:
    """One page exactly as the browser without JavaScript received it."""

    name: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes


async def capture(name: str, response: Response | None) -> Captured:
    assert response is not None, f"{name}: no response"
    headers = await response.all_headers()
    return Captured(name, response.url, response.status, headers, await response.body())


@dataclass(frozen=True)
class Violation:
    page: str
    rule: str
    impact: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.page}: {self.rule} ({self.impact}) at {', '.join(self.targets[:4])}"


# The captured page each auditing page is about to open (see open_captured).
_NEXT_DOCUMENT: weakref.WeakKeyDictionary[Page, Captured] = weakref.WeakKeyDictionary()


async def open_captured(page: Page, captured: Captured) -> None:
    """Load the captured response in `page`, from the same URL so its stylesheet loads too.

    One route per page, installed on first use and never removed: it serves the captured
    document to the navigation and lets every other request through to the site. A route
    per document (times=1) switched Chromium's request interception off again as soon as
    the document was served, while the page's stylesheet request could be paused in it;
    that request then never finished, the load event never fired and the goto timed out
    (a different page each run, more often on a busy machine).
    """
    if page not in _NEXT_DOCUMENT:

        async def serve(route: Route) -> None:
            waiting = _NEXT_DOCUMENT.get(page)
            request = route.request
            if waiting is None or not request.is_navigation_request() or request.url != waiting.url:
                await route.fallback()
                return
            headers = {k: v for k, v in waiting.headers.items() if k in _KEEP_HEADERS}
            await route.fulfill(status=waiting.status, headers=headers, body=waiting.body)

        await page.route("**/*", serve)
    _NEXT_DOCUMENT[page] = captured
    await page.goto(captured.url, wait_until="load")
    assert await page.evaluate("document.readyState") == "complete"


async def run_axe(page: Page, name: str) -> list[Violation]:
    """axe-core's WCAG 2.2 AA rules on the page now loaded; every violation found."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(r => ({version: r.testEngine.version, violations: r.violations.map(v => ({"
        "  id: v.id, impact: v.impact || '', targets: v.nodes.map(n => n.target.join(' '))}))}))",
        AXE_TAGS,
    )
    assert result["version"].startswith("4."), result["version"]
    return [Violation(name, v["id"], v["impact"], tuple(v["targets"])) for v in result["violations"]]


async def overflows_at(page: Page, width: int) -> int:
    """How many CSS pixels the page is wider than a `width`-pixel viewport (0: it reflows)."""
    await page.set_viewport_size({"width": width, "height": 900})
    return int(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@dataclass(frozen=True)
class AuditReport:
    """What the audit of a set of pages found: axe violations at both widths, and reflow failures."""

    violations: list[Violation]
    overflow: dict[str, int]

    def by_page(self, pages: list[Captured]) -> dict[str, list[str]]:
        return {p.name: [str(v) for v in self.violations if v.page.split("@")[0] == p.name] for p in pages}


async def audit(page: Page, pages: list[Captured]) -> AuditReport:
    """Each captured page at 1280 and at 320 CSS pixels: axe's WCAG 2.2 AA rules, and reflow."""
    violations: list[Violation] = []
    overflow: dict[str, int] = {}
    for captured in pages:
        await page.set_viewport_size({"width": 1280, "height": 900})
        await open_captured(page, captured)
        violations += await run_axe(page, captured.name)
        if (extra := await overflows_at(page, 320)) > 0:
            overflow[captured.name] = extra
        violations += await run_axe(page, f"{captured.name}@320")
    return AuditReport(violations, overflow)
