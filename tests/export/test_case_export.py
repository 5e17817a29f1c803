"""Case file export: the handling unit downloads one ZIP (a PDF of the case and the files);
a test opens it, finds every part in the PDF's text and checks every file's SHA-256."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile

import aiohttp
import pytest
from pypdf import PdfReader

from dropbox_server.clock import today
from dropbox_server.forces import DESK_ID
from dropbox_server.store import audit as audit_store
from dropbox_server.web.staff.export_views import archive_name
from tests.desk.flow import CHECKLIST, draft_action, draft_package
from tests.files.test_both_directions import report_with
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import Investigator, csrf_from


async def export(who: Investigator, report_id: str) -> tuple[int, dict[str, str], bytes]:
    page = await who.open_report(report_id)
    data = {"csrf_token": csrf_from(page)}
    async with who.http.post(f"{who.base}/reports/{report_id}/export", data=data) as resp:
        return resp.status, dict(resp.headers), await resp.read()


def pdf_text(archive: zipfile.ZipFile, report_id: str) -> str:
    reader = PdfReader(io.BytesIO(archive.read(f"case-file-{report_id}.pdf")))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_archive_names_carry_no_path() -> None:
    assert archive_name(2, "../../etc/passwd") == "files/02-_.._etc_passwd"
    assert archive_name(3, "C:\\x\ty.txt") == "files/03-C_x_y.txt"
    assert archive_name(4, " . ") == "files/04-file"


async def _exports(ws: Workspace) -> list[str]:
    rows = await audit_store.entries(ws.services.db)
    return [f"{r.entry.report_id} {r.entry.detail}" for r in rows if r.entry.action == "case_export"]


async def test_every_part_is_in_the_export_and_every_hash_matches(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    files = [("photo 1 ünï.jpg", os.urandom(70_000)), ("notes.txt", b"plain words"), ("empty", b"")]
    _, report_id = await report_with(workspace, http, files)
    alice = await workspace.signed_in("alice", "kent-police")
    await alice.act(report_id, "reply", {"reply": "Thank you, we are looking into this — Ŵ."})
    await alice.act(report_id, "note", {"note": "Checked the duty roster for that week."})
    await alice.act(
        report_id,
        "outcome",
        {"outcome": "assessing", "reason": "Credible and specific.", "seen_outcome": "new"},
    )

    status, headers, body = await export(alice, report_id)
    assert status == 200, body[:2000]
    assert headers["Content-Type"] == "application/zip"
    assert headers["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    members = archive.namelist()
    assert members == [
        "files/01-photo 1 ünï.jpg",
        "files/02-notes.txt",
        "files/03-empty",
        f"case-file-{report_id}.pdf",
    ]
    text = pdf_text(archive, report_id)
    for (name, data), member in zip(files, members, strict=False):
        assert archive.read(member) == data  # the file itself, byte for byte
        digest = hashlib.sha256(data).hexdigest()
        assert f"SHA-256 {digest}" in text  # and the PDF's hash is the file's
        assert name in text and f"{len(data)} bytes, in the archive as {member}" in text
    for part in (
        f"Report {report_id}",
        "What the reporter told us",
        "Kent Police",
        "Thank you, we are looking into this — Ŵ.",
        "Checked the duty roster for that week.",
        "Note (not seen by the reporter)",
        "Credible and specific.",
        "New → Being assessed",
        f"Exported by alice on {today()}.",
    ):
        assert part in text, (part, text)
    assert await _exports(workspace) == [f"{report_id} files=3"]


@pytest.mark.parametrize("routing", ["desk"])
async def test_a_force_exports_the_package_never_the_reporters_words(workspace: Workspace) -> None:
    _, report_id = await submit(
        workspace, force="kent-police", what_happened="The reporter's own words: Zqsecretwords."
    )
    ann = await workspace.signed_in("ann", DESK_ID, "desk_analyst")
    sue = await workspace.signed_in("sue", DESK_ID, "desk_supervisor")
    draft = await draft_package(ann, report_id, "kent-police")
    await draft_action(ann, draft, "submit", {})
    await draft_action(sue, draft, "approve", CHECKLIST)
    kim = await workspace.signed_in("kim", "kent-police")
    [package_id] = [
        str(r[0])
        for r in await workspace.services.db.fetch_all("SELECT id FROM reports WHERE unit_id = 'kent-police'")
    ]
    status, _, body = await export(kim, package_id)
    assert status == 200
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.namelist() == [f"case-file-{package_id}.pdf"]
    text = pdf_text(archive, package_id)
    assert f"Intelligence package {package_id}" in text and "The package" in text
    assert "A constable is said to have taken payment to drop a prosecution." in text
    assert "Zqsecretwords" not in text and "reporter's own words" not in text
    # The force cannot export the desk's report itself: it is not theirs.
    status, _, _ = await export_refused(kim, report_id)
    assert status == 404


async def export_refused(who: Investigator, report_id: str) -> tuple[int, dict[str, str], bytes]:
    _, page = await who.get("/inbox")
    data = {"csrf_token": csrf_from(page)}
    async with who.http.post(f"{who.base}/reports/{report_id}/export", data=data) as resp:
        return resp.status, dict(resp.headers), await resp.read()


@pytest.mark.parametrize("token", ["", "forged"])
async def test_an_export_without_the_sessions_token_is_refused(
    workspace: Workspace, http: aiohttp.ClientSession, token: str
) -> None:
    _, report_id = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    async with alice.http.post(
        f"{alice.base}/reports/{report_id}/export", data={"csrf_token": token}
    ) as resp:
        assert resp.status == 403
    assert await _exports(workspace) == []
