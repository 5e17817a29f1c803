"""Debian's headless Chromium, started by the tests: one profile with JavaScript off, one to audit.

The reporter site must work with JavaScript off, so pages are driven and photographed in a
browser whose profile turns JavaScript off the way a user does (Preferences). axe-core is
JavaScript and, in that browser, DevTools evaluation runs but timers never fire, so `axe.run`
never settles; the audit therefore happens in a second browser with JavaScript on, on the very
response the first one received (same bytes, same headers, the page's strict CSP unchanged:
evaluation through DevTools is not subject to the page's CSP, so no bypass is needed, and the
page's own scripts, if it had any, would still be blocked).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Playwright

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Bounded in time: nothing here should take long on 127.0.0.1.
TIMEOUT_MS = 20_000


def _profile(path: Path, *, javascript: bool) -> Path:
    (path / "Default").mkdir(parents=True)
    setting = 1 if javascript else 2
    (path / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"default_content_setting_values": {"javascript": setting}}})
    )
    return path


async def launch(playwright: Playwright, profile: Path, *, javascript: bool) -> BrowserContext:
    """Chromium with a fresh user-data-dir at `profile`, JavaScript on or off."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install.sh")
    context = await playwright.chromium.launch_persistent_context(
        str(_profile(profile, javascript=javascript)),
        executable_path=str(CHROMIUM),
        headless=True,
        args=FLAGS,
        java_script_enabled=javascript,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context
