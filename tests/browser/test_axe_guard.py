"""A guard on the guard: the audit finds violations where there are some, under our own CSP."""

from __future__ import annotations

import pytest

from dropbox_server.web.middlewares import SECURITY_HEADERS
from tests.browser.axe import Captured, open_captured, overflows_at, run_axe
from tests.browser.conftest import Browsers
from tests.conftest import Sites

pytestmark = pytest.mark.browser

BROKEN = b"""<!DOCTYPE html><html><head><title>broken</title>
<link rel="stylesheet" href="/static/site.css"></head><body>
<main><img src="/static/none.png"><input type="text" name="unlabelled">
<p><a href="/x"></a></p><table><tr><td style="width:2000px">wide</td></tr></table>
<script>document.body.dataset.ran = "yes"</script></main></body></html>"""


async def test_axe_reports_what_is_wrong_and_page_scripts_stay_blocked(
    sites: Sites, browsers: Browsers
) -> None:
    headers = {
        "content-type": "text/html; charset=utf-8",
        **{k.lower(): v for k, v in SECURITY_HEADERS.items()},
    }
    page = await browsers.auditor.new_page()
    await open_captured(page, Captured("broken", sites.reporter_url + "/broken", 200, headers, BROKEN))
    assert await page.evaluate("document.body.dataset.ran") is None, "the page's CSP did not block its script"
    rules = {v.rule for v in await run_axe(page, "broken")}
    assert {"html-has-lang", "image-alt", "label", "link-name"} <= rules
    assert await overflows_at(page, 320) == 0  # the inline style is blocked by CSP too
