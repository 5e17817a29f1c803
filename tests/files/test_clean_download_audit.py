"""The clean-copy download is audited only when a clean copy was actually handed over."""

from __future__ import annotations

import aiohttp

from dropbox_server.store import audit as audit_store
from tests.files.test_both_directions import fetch, file_ids, report_with
from tests.files.test_clean_copies import MARKER, pdf_with_exif_jpeg
from tests.investigator.conftest import Workspace


async def _downloads(ws: Workspace) -> list[str]:
    rows = await audit_store.entries(ws.services.db)
    return [r.entry.detail for r in rows if r.entry.action == "file_download"]


async def test_no_audit_entry_for_a_copy_that_could_not_be_made(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    files = [("notes.txt", b"plain text has no clean copy"), ("broken.pdf", b"%PDF-1.7\nnot really a pdf")]
    _, report_id = await report_with(workspace, http, files)
    text_id, broken_id = await file_ids(workspace, report_id)
    alice = await workspace.signed_in("alice", "kent-police")
    status, _, _ = await fetch(alice, f"/reports/{report_id}/files/{text_id}/clean")
    assert status == 404
    status, _, body = await fetch(alice, f"/reports/{report_id}/files/{broken_id}/clean")
    assert status == 422 and b"could not be removed" in body
    assert await _downloads(workspace) == []


async def test_a_clean_copy_handed_over_is_audited_once(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    _, report_id = await report_with(workspace, http, [("photo.pdf", pdf_with_exif_jpeg())])
    [file_id] = await file_ids(workspace, report_id)
    alice = await workspace.signed_in("alice", "kent-police")
    status, headers, clean = await fetch(alice, f"/reports/{report_id}/files/{file_id}/clean")
    assert status == 200 and clean.startswith(b"%PDF-") and MARKER.encode() not in clean
    assert "metadata removed" in headers["Content-Disposition"]
    assert await _downloads(workspace) == [f"file={file_id} metadata-removed"]
