"""A small real filesystem (tmpfs): the free-space watermark, and a disk that fills up.

New reports and files get a clear "cannot accept this now, nothing was kept" page (503);
nothing already stored is damaged, and the service takes reports again once there is room.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from dropbox_server.config import UploadLimits
from tests.conftest import Sites, reporter_site
from tests.files.test_upload_admission import DiskWatch, body_head, fresh_token, post_streamed
from tests.files.test_upload_http import receipt_in
from tests.files.uploads import read_all, report_of, stored_files, submit_with_files, unit_files
from tests.journeys import Reporter
from tests.test_reporter_journey import enrol

MIB = 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MiB tmpfs mounted for this test (needs root; skipped with the reason otherwise)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path: Path, leave: int) -> Path:
    """Add to a filler file until only about `leave` bytes are free (0: until writes fail)."""
    filler = path / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        with contextlib.suppress(OSError):
            for size in (65536, 4096, 512):
                while free_bytes(path) > leave + size or (leave == 0 and free_bytes(path) > 0):
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


@contextlib.asynccontextmanager
async def site_on(mount: Path, watermark: int) -> AsyncIterator[Sites]:
    uploads = UploadLimits(free_space_watermark_bytes=watermark)
    async with reporter_site(mount, uploads=uploads) as sites:
        yield sites


async def test_below_the_watermark_files_are_refused_with_a_clear_page(small_disk: Path) -> None:
    async with site_on(small_disk, watermark=8 * MIB) as sites:
        fill(small_disk, leave=10 * MIB)
        watch = DiskWatch(sites.settings.data_dir)
        token, cookie = await fresh_token(sites.reporter_url)
        status, page = await watch.during(
            post_streamed(sites.reporter_url, "/report", body_head(token), 3 * MIB, cookie)
        )
        assert status == 503, page[:300]
        assert "We cannot accept this now" in page and "Nothing was kept" in page
        assert "An officer took money" in page  # typed text comes back
        assert watch.peak == 0
        # A report without files is still taken: it needs no room to speak of.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            status, _ = await submit_with_files(Reporter(http, sites.reporter_url), [])
        assert status == 200


async def test_a_full_disk_keeps_nothing_and_damages_nothing(small_disk: Path) -> None:
    async with site_on(small_disk, watermark=0) as sites:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            earlier = b"%PDF-1.4 earlier evidence " + os.urandom(200_000)
            status, page = await submit_with_files(Reporter(http, sites.reporter_url), [("earlier.pdf", earlier)])
            assert status == 200, page[:300]
            receipt = receipt_in(page)
        await sites.services.db.checkpoint()  # an empty WAL: the next commit must grow it
        reports_before = (await sites.services.db.fetch_one("SELECT count(*) FROM reports"))[0]

        filler = fill(small_disk, leave=2 * MIB)
        # A file larger than the room left: ENOSPC while it is being written.
        token, cookie = await fresh_token(sites.reporter_url)
        status, page = await post_streamed(sites.reporter_url, "/report", body_head(token), 4 * MIB, cookie)
        assert status == 503, page[:300]
        assert "We cannot accept this now" in page and "Nothing was kept" in page
        assert not list((sites.settings.files_dir / "tmp").iterdir())

        # Now no room at all: even a report without files cannot be committed.
        fill(small_disk, leave=0)
        assert free_bytes(small_disk) < 4096
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            status, page = await submit_with_files(Reporter(http, sites.reporter_url), [])
        assert status == 503, page[:300]
        assert "We cannot accept this now" in page and "receipt-line" not in page

        filler.unlink()  # room again
        row = await sites.services.db.fetch_one("PRAGMA integrity_check")
        assert row is not None and row[0] == "ok"
        assert (await sites.services.db.fetch_one("SELECT count(*) FROM reports"))[0] == reports_before
        # Whoever holds the report opens it: the desk under the default routing.
        report = await report_of(sites, receipt)
        alice = await enrol(sites, "alice", report.unit_id)
        [opened] = await unit_files(sites, alice, report)
        assert await read_all(opened) == earlier
        assert len(stored_files(sites.settings.data_dir)) == 1
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            status, page = await submit_with_files(Reporter(http, sites.reporter_url), [("later.txt", b"later")])
        assert status == 200 and "1 file was received" in page


def test_no_space_errors_are_recognised() -> None:
    from dropbox_server.store.errors import is_no_space

    assert is_no_space(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_no_space(OSError(errno.EACCES, "Permission denied"))
