"""Both directions over real HTTP: investigators download and reply with files; reporters
download the unit's files with their receipt; damage is refused; nothing is on disk in clear."""

from __future__ import annotations

import io
import os

import aiohttp
import pikepdf
import pytest
from PIL import Image

from dropbox_server.filecrypt import FILE_HEADER_BYTES, FILE_RECORD_BYTES, FILE_RECORD_PLAIN
from dropbox_server.files.download import FileDamaged, plaintext_chunks
from dropbox_server.reports.case_files import case_file
from dropbox_server.store import audit as audit_store
from dropbox_server.store import files as file_store
from tests.files.uploads import (
    follow_up_with_files,
    form_with_files,
    report_of,
    stored_files,
    submit_with_files,
)
from tests.investigator.conftest import Workspace
from tests.investigator.driver import Investigator
from tests.journeys import _RECEIPT, Reporter, csrf_from
from tests.scan import scan
from tests.test_reporter_journey import enrol


async def report_with(
    ws: Workspace, http: aiohttp.ClientSession, files: list[tuple[str, bytes]]
) -> tuple[str, str]:
    """Submit over HTTP with files; returns (receipt, report id)."""
    reporter = Reporter(http, ws.reporter_url)
    status, page = await submit_with_files(reporter, files)
    assert status == 200, page
    match = _RECEIPT.search(page)
    assert match
    receipt = match.group(1).strip()
    report = await report_of(ws, receipt)  # type: ignore[arg-type]
    return receipt, report.id


async def file_ids(ws: Workspace, report_id: str) -> list[str]:
    row = await ws.services.db.fetch_one("SELECT seq FROM reports WHERE id = ?", (report_id,))
    assert row is not None
    return [f.id for f in await file_store.files_of_report(ws.services.db, int(row[0]))]


async def fetch(who: Investigator | Reporter, path: str) -> tuple[int, dict[str, str], bytes]:
    async with who.http.get(who.base + path, allow_redirects=False) as resp:
        return resp.status, dict(resp.headers), await resp.read()


@pytest.mark.parametrize("size", [0, 1, FILE_RECORD_PLAIN - 1, FILE_RECORD_PLAIN + 1, 5 * 1024 * 1024])
async def test_investigator_downloads_byte_exact_as_attachment(
    workspace: Workspace, http: aiohttp.ClientSession, size: int
) -> None:
    data = os.urandom(size)
    _, report_id = await report_with(workspace, http, [("photo 1 ünï.html", data)])
    alice = await workspace.signed_in("alice", "kent-police")
    status, page = await alice.get(f"/reports/{report_id}/files")
    assert status == 200 and "photo 1 ünï.html" in page and "may carry metadata" in page
    [file_id] = await file_ids(workspace, report_id)
    status, headers, body = await fetch(alice, f"/reports/{report_id}/files/{file_id}")
    assert status == 200 and body == data
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''photo%201%20%C3%BCn%C3%AF.html" in headers["Content-Disposition"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    entries = [r.entry for r in await audit_store.entries(workspace.services.db)]
    assert any(e.action == "file_download" and e.detail == f"file={file_id}" for e in entries)


async def test_other_units_and_strangers_get_nothing(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    _, report_id = await report_with(workspace, http, [("x.bin", b"kent only")])
    [file_id] = await file_ids(workspace, report_id)
    bob = await workspace.signed_in("bob", "essex-police")
    status, _, body = await fetch(bob, f"/reports/{report_id}/files/{file_id}")
    assert status == 404 and b"kent only" not in body
    async with aiohttp.ClientSession() as anonymous:
        status, _, body = await fetch(
            Reporter(anonymous, workspace.investigator_url), f"/reports/{report_id}/files/{file_id}"
        )
        assert status in (303, 401) and b"kent only" not in body
    # The reporter cannot download what they sent themselves (only the unit's files).
    receipt, report_id2 = await report_with(workspace, http, [("mine.bin", b"my own")])
    [mine] = await file_ids(workspace, report_id2)
    reporter = Reporter(http, workspace.reporter_url)
    await reporter.open_thread(receipt)
    status, _, body = await fetch(reporter, f"/thread/files/{mine}")
    assert status == 404 and b"my own" not in body


async def test_reply_with_files_reaches_the_reporter_byte_exact(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    receipt, report_id = await report_with(workspace, http, [])
    alice = await workspace.signed_in("alice", "kent-police")
    data = os.urandom(3 * FILE_RECORD_PLAIN + 11)
    _, page = await alice.get(f"/reports/{report_id}/files")
    form = form_with_files(
        {"csrf_token": csrf_from(page), "message": "Is this the man?"}, [("lineup.jpg", data)]
    )
    async with alice.http.post(
        f"{alice.base}/reports/{report_id}/files", data=form, allow_redirects=False
    ) as resp:
        assert resp.status == 303, await resp.text()
    reporter = Reporter(http, workspace.reporter_url)
    page = await reporter.open_thread(receipt)
    assert "Is this the man?" in page and "lineup.jpg" in page
    [file_id] = await file_ids(workspace, report_id)
    status, headers, body = await fetch(reporter, f"/thread/files/{file_id}")
    assert status == 200 and body == data
    assert headers["Content-Disposition"].startswith('attachment; filename="lineup.jpg"')
    # Another reporter's session opens nothing of it.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other_http:
        other = Reporter(other_http, workspace.reporter_url)
        await other.open_thread(await other.submit_ok())
        status, _, body = await fetch(other, f"/thread/files/{file_id}")
        assert status == 404 and body != data


async def test_damaged_file_is_refused_not_served(workspace: Workspace, http: aiohttp.ClientSession) -> None:
    data = os.urandom(40 * FILE_RECORD_PLAIN)  # beyond the first block the server checks up front
    _, report_id = await report_with(workspace, http, [("a.bin", data), ("b.bin", data)])
    first, second = await file_ids(workspace, report_id)
    alice = await workspace.signed_in("alice", "kent-police")
    # One flipped byte in the first record: a clear page before anything is sent.
    path = workspace.settings.files_dir / first
    raw = bytearray(path.read_bytes())
    raw[100] ^= 1
    path.write_bytes(bytes(raw))
    status, headers, body = await fetch(alice, f"/reports/{report_id}/files/{first}")
    assert status == 500 and b"damaged or has been altered" in body
    assert "attachment" not in headers.get("Content-Disposition", "")
    # One flipped byte further in: the download is cut short, never completed.
    path = workspace.settings.files_dir / second
    raw = bytearray(path.read_bytes())
    raw[FILE_HEADER_BYTES + 30 * FILE_RECORD_BYTES + 100] ^= 1  # a data record past the first block
    path.write_bytes(bytes(raw))
    with pytest.raises(aiohttp.ClientPayloadError):
        await fetch(alice, f"/reports/{report_id}/files/{second}")


def _jpeg_with_exif(marker: str) -> bytes:
    img = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[0x013B] = marker  # Artist
    exif[0x010F] = marker + "Make"  # Make
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif, comment=marker.encode())
    return out.getvalue()


def _png_with_text(marker: str) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", marker)
    out = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _pdf_with_metadata(marker: str) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Author"] = marker
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = [marker + "Xmp"]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make"), [("p.jpg", _jpeg_with_exif), ("p.png", _png_with_text), ("d.pdf", _pdf_with_metadata)]
)
async def test_download_with_metadata_removed(
    workspace: Workspace, http: aiohttp.ClientSession, name: str, make: object
) -> None:
    marker = "MARKERMETAAUTHORZq9"
    original = make(marker)  # type: ignore[operator]
    assert marker.encode() in original
    _, report_id = await report_with(workspace, http, [(name, original)])
    [file_id] = await file_ids(workspace, report_id)
    alice = await workspace.signed_in("alice", "kent-police")
    _, page = await alice.get(f"/reports/{report_id}/files")
    assert f"/files/{file_id}/clean" in page
    status, headers, clean = await fetch(alice, f"/reports/{report_id}/files/{file_id}/clean")
    assert status == 200 and headers["Content-Type"] == "application/octet-stream"
    assert "metadata removed" in headers["Content-Disposition"]
    assert marker.encode() not in clean and marker.encode("utf-16-be") not in clean
    if name.endswith(".pdf"):
        with pikepdf.open(io.BytesIO(clean)) as pdf:
            assert len(pdf.pages) == 1 and "/Author" not in pdf.docinfo
    else:
        with Image.open(io.BytesIO(clean)) as img:
            assert img.size == Image.open(io.BytesIO(original)).size


async def test_no_file_plaintext_anywhere_on_disk(workspace: Workspace, http: aiohttp.ClientSession) -> None:
    body_marker, name_marker = "MARKERFILEBODYZq9", "MARKERFILENAMEZq9"
    reply_marker, reply_name = "MARKERREPLYFILEZq9", "MARKERREPLYNAMEZq9"
    content = (body_marker + " ✓ ").encode("utf-8") * 3000 + body_marker.encode("utf-16-le") * 100
    receipt, report_id = await report_with(workspace, http, [(f"{name_marker} ünï.txt", content)])
    reporter = Reporter(http, workspace.reporter_url)
    await reporter.open_thread(receipt)
    await follow_up_with_files(reporter, "", [(f"{name_marker}2.txt", content)])
    alice = await workspace.signed_in("alice", "kent-police")
    _, page = await alice.get(f"/reports/{report_id}/files")
    form = form_with_files(
        {"csrf_token": csrf_from(page)}, [(reply_name + ".txt", reply_marker.encode() * 500)]
    )
    async with alice.http.post(
        f"{alice.base}/reports/{report_id}/files", data=form, allow_redirects=False
    ) as resp:
        assert resp.status == 303
    assert len(stored_files(workspace.settings.data_dir)) == 3
    needles = [body_marker, name_marker, reply_marker, reply_name]
    assert scan([workspace.settings.data_dir], needles) == []
    # Control: the scan does see the files' ids (stored in clear in the database).
    [first, *_] = await file_ids(workspace, report_id)
    assert scan([workspace.settings.data_dir], [first])


async def test_use_case_refuses_a_tampered_file(workspace: Workspace, http: aiohttp.ClientSession) -> None:
    _, report_id = await report_with(workspace, http, [("t.bin", os.urandom(2 * FILE_RECORD_PLAIN))])
    [file_id] = await file_ids(workspace, report_id)
    path = workspace.settings.files_dir / file_id
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0x80
    path.write_bytes(bytes(raw))
    staff = await enrol(workspace, "carol", "kent-police")  # type: ignore[arg-type]
    opened = await case_file(workspace.services.db, workspace.services.files, staff, report_id, file_id)
    with pytest.raises(FileDamaged):
        async for _ in plaintext_chunks(opened):
            pass
