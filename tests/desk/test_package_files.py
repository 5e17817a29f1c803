"""Files with a package: the force gets exactly the chosen clean copies, and nothing else opens.

The reporter sends a JPEG full of identifying metadata, a PNG and a text file. The analyst
chooses the JPEG only. Kent, holding its whole key ring and the database, can open no file
before approval; after it, exactly one new file: the JPEG's copy with its metadata removed,
byte for byte what the desk's own clean copy is, under a name that is not the reporter's.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import keyring
from dropbox_server.files.download import OpenedFile, plaintext_chunks
from dropbox_server.files.upload import Recipients, UploadBatch
from dropbox_server.reports import package_files, packages
from dropbox_server.reports.access import CaseNotFound
from dropbox_server.reports.case_files import case_files, clean_copy
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import new_draft, submit_report
from dropbox_server.reports.transfer import TransferRequest, transfer_report
from dropbox_server.services import Services
from tests.conftest import unlock_custodian
from tests.desk.flow import PACKAGE
from tests.desk.insider import reviewed
from tests.desk.test_packages import member
from tests.files.test_clean_copies import MARKER, jpeg_with_everything, png_with_everything

PHOTO_NAME = "IMG_my_flat_Qxfilename.jpg"


async def _read(opened: OpenedFile) -> bytes:
    out = bytearray()
    async for chunk in plaintext_chunks(opened):
        out += chunk
    return bytes(out)


async def _report_with_files(services: Services, settings: Settings, files: dict[str, bytes]) -> str:
    content = ReportContent(force="kent-police", conduct="corruption", what_happened="the reporter's words")
    draft = new_draft()
    recipients = Recipients(draft.id, draft.keys.public)
    async with UploadBatch(services.files, recipients, settings.files) as batch:
        for name, data in files.items():
            sink = await batch.begin(name, "application/octet-stream")
            await sink.write(data)
            await sink.finish()
        await submit_report(
            services.db, services.receipts, content, None, "online", today(), draft=draft, attachments=batch
        )
    return draft.id


def _file_keys_opened(path: Path, start: set[bytes]) -> set[str]:
    """Ids of the files whose key the given private keys reach, through every sealed blob."""
    with sqlite3.connect(path) as conn:
        blobs = [
            bytes(v)
            for table in [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
            for row in conn.execute(f'SELECT * FROM "{table}"')
            for v in row
            if isinstance(v, bytes)
        ]
        files = list(conn.execute("SELECT id, key_for_unit FROM files"))
    known, grew = set(start), True
    while grew:
        grew = False
        for blob in blobs:
            for key in list(known):
                try:
                    opened = envelope.unseal(key, blob)
                except Exception:
                    continue
                if opened not in known:
                    known.add(opened)
                    grew = True
    reached = set()
    for file_id, sealed in files:
        for key in known:
            try:
                envelope.unseal(key, bytes(sealed))
            except Exception:
                continue
            reached.add(str(file_id))
    return reached


async def _kent_keys(services: Services) -> set[bytes]:
    custodian = await unlock_custodian(services.db)
    return set(
        (await keyring.unit_private_keys_from_custodian(services.db, "kent-police", custodian)).values()
    )


async def test_the_force_gets_exactly_the_chosen_clean_copies(services: Services, settings: Settings) -> None:
    db, disk = services.db, services.files
    photo, chart = jpeg_with_everything(), png_with_everything()
    source = await _report_with_files(
        services, settings, {PHOTO_NAME: photo, "chart.png": chart, "notes.txt": b"Qxtext the reporter typed"}
    )
    analyst = await member(services, "ann", "desk", "desk_analyst")
    supervisor = await member(services, "sue", "desk", "desk_supervisor")
    kent = await member(services, "kim", "kent-police", "investigator")

    offered = await package_files.source_files(db, disk, analyst, source)
    by_name = {f.opened.meta.name: f for f in offered}
    assert by_name[PHOTO_NAME].choosable and by_name["chart.png"].choosable
    assert not by_name["notes.txt"].choosable  # no clean copy can be made of it
    photo_id = by_name[PHOTO_NAME].opened.row.id

    draft = await packages.create_draft(db, analyst, source, "kent-police", PACKAGE, False, today())
    with pytest.raises(packages.PackageError) as refused:
        await package_files.choose_files(db, disk, analyst, draft, [by_name["notes.txt"].opened.row.id])
    assert refused.value.code == "files"
    with pytest.raises(packages.PackageError):
        await package_files.choose_files(db, disk, supervisor, draft, [photo_id])  # not the author
    await package_files.choose_files(db, disk, analyst, draft, [photo_id])
    await packages.submit_draft(db, analyst, draft, today())

    # Before approval: Kent's whole key ring and the database open no file at all.
    await db.checkpoint()
    assert _file_keys_opened(db.path, await _kent_keys(services)) == set()

    package_id = await package_files.approve_with_files(
        db, disk, settings.files, services.cleaning, supervisor, draft, set(packages.CHECKLIST),
        await reviewed(db, draft), today(),
    )
    delivered = await case_files(db, disk, kent, package_id)
    assert len(delivered) == 1
    copy = delivered[0]
    assert copy.meta.name == "attachment-1.jpg" and copy.meta.kind == "jpeg"
    _, desk_clean = await clean_copy(db, disk, analyst, source, photo_id, services.cleaning)
    received = await _read(copy)
    assert received == desk_clean and received != photo
    assert MARKER.encode() not in received and copy.meta.size == len(received)
    assert copy.row.id not in {f.opened.row.id for f in offered}  # a new file, never the desk's

    # With Kent's keys: the copy opens; the original photo, the unchosen PNG and the text do not.
    await db.checkpoint()
    assert _file_keys_opened(db.path, await _kent_keys(services)) == {copy.row.id}
    with pytest.raises(CaseNotFound):
        await case_files(db, disk, kent, source)


async def test_passing_a_package_on_carries_its_files(services: Services, settings: Settings) -> None:
    db, disk = services.db, services.files
    source = await _report_with_files(services, settings, {"scan.png": png_with_everything()})
    analyst = await member(services, "ann", "desk", "desk_analyst")
    supervisor = await member(services, "sue", "desk", "desk_supervisor")
    kent = await member(services, "kim", "kent-police", "investigator")
    essex = await member(services, "eve", "essex-police", "investigator")
    draft = await packages.create_draft(db, analyst, source, "kent-police", PACKAGE, False, today())
    chosen = [f.opened.row.id for f in await package_files.source_files(db, disk, analyst, source)]
    await package_files.choose_files(db, disk, analyst, draft, chosen)
    await packages.submit_draft(db, analyst, draft, today())
    package_id = await package_files.approve_with_files(
        db, disk, settings.files, services.cleaning, supervisor, draft, set(packages.CHECKLIST),
        await reviewed(db, draft), today(),
    )
    at_kent = await _read((await case_files(db, disk, kent, package_id))[0])

    request = TransferRequest(package_id, "essex-police", "Their area.", False, "new")
    await transfer_report(db, kent, request, today())
    moved = await case_files(db, disk, essex, package_id)
    assert [f.meta.name for f in moved] == ["attachment-1.png"]
    assert await _read(moved[0]) == at_kent
    with pytest.raises(CaseNotFound):
        await case_files(db, disk, kent, package_id)


async def test_a_draft_without_files_is_approved_as_before(services: Services, settings: Settings) -> None:
    db, disk = services.db, services.files
    source = await _report_with_files(services, settings, {"scan.png": png_with_everything()})
    analyst = await member(services, "ann", "desk", "desk_analyst")
    supervisor = await member(services, "sue", "desk", "desk_supervisor")
    kent = await member(services, "kim", "kent-police", "investigator")
    draft = await packages.create_draft(db, analyst, source, "kent-police", PACKAGE, False, today())
    await packages.submit_draft(db, analyst, draft, today())
    with pytest.raises(packages.PackageError) as refused:  # the author cannot approve, files or not
        await package_files.approve_with_files(
            db, disk, settings.files, services.cleaning, analyst, draft, set(packages.CHECKLIST),
        await reviewed(db, draft), today(),
        )
    assert refused.value.code in {"own_draft", "not_supervisor"}
    package_id = await package_files.approve_with_files(
        db, disk, settings.files, services.cleaning, supervisor, draft, set(packages.CHECKLIST),
        await reviewed(db, draft), today(),
    )
    assert await case_files(db, disk, kent, package_id) == []
