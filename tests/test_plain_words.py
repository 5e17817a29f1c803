"""The reporter's pages speak plainly: sizes as people say them (from the settings), no
"bits of randomness", and error summaries that name fields shortly."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from dropbox_server.config import FileLimits
from dropbox_server.web.http_files import plain_size
from tests.conftest import Sites, reporter_site
from tests.investigator.driver import text_of
from tests.journeys import Reporter, csrf_from, multipart

MIB = 1024 * 1024


def _plain(page: str) -> str:
    return " ".join(text_of(page).split())


def test_sizes_read_as_people_say_them() -> None:
    assert plain_size(500 * MIB) == "500 MB"
    assert plain_size(1024 * MIB) == "1 GB"
    assert plain_size(1536 * MIB) == "1.5 GB"
    assert plain_size(20 * 1024) == "20 KB"


async def test_the_report_form_states_the_limits_from_the_settings(
    sites: Sites, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    _, page = await Reporter(http, sites.reporter_url).get("/report")
    assert "each file up to 500 MB, 1 GB in all" in _plain(page)
    assert "MiB" not in page
    limits = FileLimits(file_bytes=200 * MIB, submission_bytes=2048 * MIB, files_per_submission=4)
    async with reporter_site(tmp_path / "other", files=limits) as other:
        _, page = await Reporter(http, other.reporter_url).get("/report")
    assert "Up to 4 files: each file up to 200 MB, 2 GB in all." in _plain(page)


async def test_the_receipt_page_has_no_bits_of_randomness(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    await reporter.submit_ok()
    page = _plain(reporter.pages[-1])
    assert "bits" not in page and "randomness" not in page
    assert "nobody could guess yours" in page


async def test_the_error_summary_names_fields_shortly(sites: Sites, http: aiohttp.ClientSession) -> None:
    reporter = Reporter(http, sites.reporter_url)
    _, form = await reporter.get("/report")
    async with http.post(
        sites.reporter_url + "/report", data=multipart({"csrf_token": csrf_from(form)})
    ) as resp:
        page = await resp.text()
    assert resp.status == 400
    summary = _plain(page.split('class="error-summary"')[1].split("</div>")[0])
    assert (
        "What happened : Tell us what happened." in summary
        or "What happened: Tell us what happened." in summary
    )
    assert "Force:" in summary.replace(" :", ":")
    assert "What happened?" not in summary and "Which force does the person work for?" not in summary
