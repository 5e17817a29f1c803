"""The HTTPS door (deploy/caddy) in front of the reporter site: Caddy with its internal CA on
127.0.0.1 runs the project's own door configuration; a reporter in Chromium with JavaScript off
reports and checks back through it; the headers are right; no log line knows the visitor.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import BrowserContext, async_playwright

from tests.browser.axe import audit
from tests.browser.chromium import CHROMIUM, FLAGS, TIMEOUT_MS, _profile
from tests.browser.conftest import Browsers
from tests.browser.journey import Journey
from tests.conftest import Sites, reporter_site
from tests.leakcheck import remember

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DOOR = ROOT / "deploy" / "caddy"
CADDY = shutil.which("caddy")
ONION = "a" * 52 + "bqid.onion"  # shaped like a v3 address; nothing resolves it here
WHAT_HAPPENED = "The custody sergeant sold my statement to the man I reported."
_RECEIPT = re.compile(r'<p class="receipt-line" lang="en">.*?</span>([a-z ]+)</p>', re.S)
WAIT_SECONDS = 30  # an upper bound for Caddy to start, never a measured time

needs_caddy = pytest.mark.skipif(CADDY is None, reason="caddy is missing: scripts/install.sh installs it")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Door:
    url: str
    log: Path
    root_ca: Path

    def log_lines(self) -> list[str]:
        return self.log.read_text("utf-8", errors="replace").splitlines()


def caddyfile(work: Path, port: int) -> str:
    """The project's global options and door site, with only what a test machine needs added."""
    return (
        "{\n"
        f"\timport {DOOR / 'global.caddy'}\n"
        f"\tstorage file_system {work / 'storage'}\n"
        f"\thttp_port {free_port()}\n"
        f"\thttps_port {port}\n"
        "\tauto_https disable_redirects\n"
        "}\n"
        f"https://127.0.0.1:{port} {{\n"
        "\ttls internal\n"
        f"\timport {DOOR / 'door.caddy'}\n"
        "}\n"
    )


def handshake_ok(port: int, root_ca: Path) -> bool:
    """A full TLS handshake against Caddy's internal CA (its certificate is issued after it listens)."""
    if not root_ca.exists():
        return False
    try:
        # The CA file may still be half written: that is a "not yet" too.
        context = ssl.create_default_context(cafile=str(root_ca))
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1"),
        ):
            return True
    except (OSError, ssl.SSLError):
        return False


def wait_ready(port: int, root_ca: Path, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(WAIT_SECONDS * 10):
        if proc.poll() is not None:
            pytest.fail(f"caddy exited: {log.read_text()}")
        if handshake_ok(port, root_ca):
            return
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.1)
    pytest.fail(f"caddy did not serve TLS within {WAIT_SECONDS} s: {log.read_text()}")


@contextmanager
def running_door(work: Path, upstream: str) -> Iterator[Door]:
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = work / "Caddyfile"
    config.write_text(caddyfile(work, port))
    log = work / "caddy.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(work),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_CONFIG_HOME": str(work / "config"),
        "TIPDROP_REPORTER_ONION": ONION,
        "TIPDROP_REPORTER_UPSTREAM": upstream,
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(CADDY), "run", "--config", str(config), "--adapter", "caddyfile"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        root_ca = work / "storage" / "pki" / "authorities" / "local" / "root.crt"
        try:
            wait_ready(port, root_ca, proc, log)
            yield Door(f"https://127.0.0.1:{port}", log, root_ca)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
async def door_site(tmp_path: Path) -> AsyncIterator[Sites]:
    async with reporter_site(tmp_path, https_door=True) as sites:
        yield sites


async def browser(profile: Path) -> tuple[object, BrowserContext]:
    """Chromium with JavaScript off; Caddy's test CA is checked separately (see verified_get)."""
    playwright = await async_playwright().start()
    context = await playwright.chromium.launch_persistent_context(
        str(_profile(profile, javascript=False)),
        executable_path=str(CHROMIUM),
        headless=True,
        args=FLAGS,
        java_script_enabled=False,
        ignore_https_errors=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return playwright, context


async def verified_get(door: Door, path: str) -> tuple[int, dict[str, str], str]:
    """A request that checks Caddy's certificate against its internal CA (real TLS, no shortcut)."""
    context = ssl.create_default_context(cafile=str(door.root_ca))
    async with aiohttp.ClientSession() as http, http.get(door.url + path, ssl=context) as resp:
        return resp.status, dict(resp.headers), await resp.text()


VISITOR_TRACES = ("remote", "client_ip", "user_agent", "User-Agent", "Chrome", "/report", "/check", "/thread")


@needs_caddy
async def test_a_reporter_reports_and_checks_back_through_the_door(
    door_site: Sites, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    upstream = door_site.reporter_url.removeprefix("http://")
    with running_door(tmp_path / "caddy", upstream) as door:
        status, headers, page = await verified_get(door, "/?lang=cy")
        assert status == 200
        assert headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
        assert headers["Onion-Location"] == f"http://{ONION}/?lang=cy"
        assert "Server" not in headers
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
        assert "Mae Tor Browser yn fwy diogel ar gyfer hyn" in page
        # Only the reporter site is behind the door: no investigator page answers through it.
        for path in ("/sign-in", "/intake", "/statistics"):
            assert (await verified_get(door, path))[0] == 404
        before = door.log_lines()

        playwright, context = await browser(tmp_path / "profile")
        try:
            receipt = await journey(context, door)
        finally:
            await context.close()
            await playwright.stop()  # type: ignore[attr-defined]
        remember(WHAT_HAPPENED, receipt)

        async with aiohttp.ClientSession() as http:
            # Plain HTTP to the HTTPS port, and a TLS handshake that fails: Caddy logs neither.
            async with http.get(door.url.replace("https", "http") + "/report") as resp:
                assert resp.status == 400
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await http.get(door.url + "/check")
        await asyncio.sleep(0.5)  # let a log line, if any were written, reach the file
        after = door.log_lines()

    assert after == before, f"Caddy logged while the visitor was there: {after[len(before) :]}"
    for line in after:
        assert not any(trace in line for trace in VISITOR_TRACES), line
        assert receipt.split()[0] not in line and "sergeant" not in line
    app_lines = [r.getMessage() for r in caplog.records if r.name.startswith("tipdrop")]
    assert not [m for m in app_lines if "sergeant" in m or receipt in m or "127.0.0.1" in m]


async def journey(context: BrowserContext, door: Door) -> str:
    """Landing (with the Tor Browser notice), report, receipt, check back: links and buttons only."""
    page = context.pages[0] if context.pages else await context.new_page()
    await page.set_content("<title>before</title><script>document.title = 'ran'</script>")
    assert await page.title() == "before", "JavaScript is not disabled in this browser"

    response = await page.goto(door.url + "/")
    assert response is not None and response.status == 200
    assert (await response.all_headers())["onion-location"] == f"http://{ONION}/"
    notice = page.locator("section.notice h2#tor-browser-safer")
    assert await notice.inner_text() == "Tor Browser is safer for this"

    async with page.expect_navigation():
        await page.click("main a[href^='/report']")
    await page.select_option("#force", "kent-police")
    await page.check("#conduct-corruption")
    await page.fill("#what_happened", WHAT_HAPPENED)
    async with page.expect_navigation() as sent:
        await page.click("form[action^='/report'] button[type=submit]")
    shown = await sent.value
    assert shown is not None and shown.status == 200
    assert "strict-transport-security" in await shown.all_headers()
    match = _RECEIPT.search(await page.content())
    assert match, "no receipt shown"
    receipt = unescape(match.group(1)).strip()

    async with page.expect_navigation():
        await page.click("main a[href^='/check']")
    await page.fill("#receipt", receipt)
    async with page.expect_navigation() as checked:
        await page.click("form[action^='/check'] button[type=submit]")
    thread = await checked.value
    assert thread is not None and thread.status == 200 and page.url.startswith(door.url + "/thread")
    return receipt


async def test_the_notice_needs_the_door_setting_and_the_door(tmp_path: Path) -> None:
    """Off by default: a forged header does nothing; with the door on, only Caddy's header counts."""
    forged = {"X-Tipdrop-Door": "https"}
    async with (
        reporter_site(tmp_path / "off") as off,
        aiohttp.ClientSession() as http,
        http.get(off.reporter_url + "/", headers=forged) as resp,
    ):
        assert "tor-browser-safer" not in await resp.text()
    async with reporter_site(tmp_path / "on", https_door=True) as on, aiohttp.ClientSession() as http:
        async with http.get(on.reporter_url + "/") as resp:
            assert "tor-browser-safer" not in await resp.text()
        async with http.get(on.reporter_url + "/", headers={"X-Tipdrop-Door": "yes"}) as resp:
            assert "tor-browser-safer" not in await resp.text()
        async with http.get(on.reporter_url + "/", headers=forged) as resp:
            assert "tor-browser-safer" in await resp.text()


@needs_caddy
async def test_a_broken_upstream_is_not_logged_with_the_visitor(tmp_path: Path) -> None:
    """The reporter site down: a plain page, and no log line (Caddy's error logger, which would
    describe the request, is off)."""
    with running_door(tmp_path / "caddy", f"127.0.0.1:{free_port()}") as door:
        before = door.log_lines()
        status, headers, page = await verified_get(door, "/report?secret=1")
        assert status == 503 and "Please try again later" in page and "Rhowch gynnig arall" in page
        assert "Strict-Transport-Security" in headers and "Server" not in headers
        assert headers["Onion-Location"] == f"http://{ONION}/report?secret=1"
        await asyncio.sleep(0.5)  # let a log line, if any were written, reach the file
        after = door.log_lines()
    assert after == before, after[len(before) :]
    assert os.path.getsize(door.log) < 4096


async def test_the_notice_passes_the_accessibility_audit_in_both_languages(
    browsers: Browsers, tmp_path: Path
) -> None:
    async with reporter_site(tmp_path, https_door=True) as sites:
        page = await browsers.without_javascript.new_page()
        await page.set_extra_http_headers({"X-Tipdrop-Door": "https"})
        pages = []
        for lang in ("en", "cy"):
            journey = Journey(page, sites.reporter_url, lang)
            await journey.goto(f"door-landing-{lang}", "/")
            assert await page.locator("#tor-browser-safer").count() == 1
            pages += journey.pages
        found = await audit(await browsers.auditor.new_page(), pages)
        assert found.violations == [] and found.overflow == {}
