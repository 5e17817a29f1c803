"""Package files through the staff site: the analyst ticks a file on the draft form, a
supervisor approves, and Kent's package page lists the clean copy (neutral name, size) and
serves exactly its bytes."""

from __future__ import annotations

from dropbox_server.files.strip import strip_metadata
from tests.desk.flow import CHECKLIST, draft_action, draft_package
from tests.desk.test_package_files import PHOTO_NAME, _report_with_files
from tests.files.test_clean_copies import MARKER, jpeg_with_everything
from tests.investigator.conftest import Workspace
from tests.investigator.driver import report_ids, text_of


async def test_chosen_file_reaches_the_force_page_as_its_clean_copy(workspace: Workspace) -> None:
    photo = jpeg_with_everything()
    source = await _report_with_files(workspace.services, workspace.settings, {PHOTO_NAME: photo})
    kent = await workspace.signed_in("kim", "kent-police")
    ann = await workspace.signed_in("ann", "desk", "desk_analyst")
    sue = await workspace.signed_in("sue", "desk", "desk_supervisor")

    status, form = await ann.get(f"/desk/reports/{source}/packages/new?to_unit=kent-police")
    assert status == 200 and 'name="package_files"' in form
    file_id = form.split('name="package_files" value="', 1)[1][:32]
    draft = await draft_package(ann, source, "kent-police", package_files=file_id)
    status, page = await ann.get(f"/desk/packages/{draft}")
    assert f'value="{file_id}" checked' in page  # the choice was saved with the draft
    status, _ = await draft_action(ann, draft, "submit", {})
    assert status == 303
    _, before = await kent.get("/inbox")
    assert report_ids(before) == []  # nothing (and no file) reaches Kent before approval
    status, where = await draft_action(sue, draft, "approve", CHECKLIST)
    assert status == 303, where[:2000]

    _, inbox = await kent.get("/inbox")
    (package_id,) = report_ids(inbox)
    status, page = await kent.get(f"/reports/{package_id}")
    assert status == 200
    assert "attachment-1.jpg" in text_of(page) and PHOTO_NAME not in page
    link = page.split(f'href="/reports/{package_id}/files/', 1)[1].split('"', 1)[0]
    async with kent.http.get(f"{kent.base}/reports/{package_id}/files/{link}") as resp:
        assert resp.status == 200
        served = await resp.read()
    assert served == strip_metadata("jpeg", photo) and MARKER.encode() not in served
    status, _ = await kent.get(f"/reports/{source}/files/{file_id}")
    assert status == 404  # the original stays at the desk
