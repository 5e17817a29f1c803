"""Signed replies and authenticated follow-ups, against an insider who can write the database:
what they plant is flagged on the reporter's page and in the unit's view; what the unit and the
reporter really sent is not; data from before signing is marked as such, not as forged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.custody import certify, signing
from dropbox_server.datadir import create_audit_key
from dropbox_server.reports import authenticity, casework
from dropbox_server.reports.reporter_access import (
    open_with_receipt,
    reporter_follow_up,
    reporter_thread,
)
from dropbox_server.reports.submission import phone_follow_up
from dropbox_server.store import ItemRow, UnitRow, open_database, units
from dropbox_server.store import authenticity as authenticity_store
from dropbox_server.store import reports as report_store
from receipt_codes import Receipt
from tests.investigator.conftest import Workspace, submit
from tests.investigator.test_migration_0002 import _report, old_report
from tests.investigator.test_transfer import _unlocked
from tests.old_versions import old_unit
from tests.reports.forgery import authenticator_of, forge_follow_up, forge_reply, item_position

FORGED = "FORGED: your case is closed, send your details to this address"


async def _statuses(ws: Workspace, receipt: str) -> list[tuple[str, str]]:
    access = await open_with_receipt(ws.services.db, ws.services.receipts, Receipt(receipt))
    assert access is not None
    thread = await reporter_thread(ws.services.db, access, ws.services.files)
    assert thread is not None
    return [(e.text, e.authenticity) for e in thread.entries if e.kind == "reply"]


async def test_a_reply_planted_in_the_database_fails_on_the_reporters_side(workspace: Workspace) -> None:
    ws, db_path = workspace, workspace.settings.database_path
    receipt, report_id = await submit(ws)
    alice = await ws.signed_in("alice", "kent-police")
    await alice.act(report_id, "reply", {"reply": "genuine reply"})
    report = await report_store.get_report(ws.services.db, report_id)
    assert report is not None
    genuine = (await report_store.items(ws.services.db, report.seq, ("unit_reply",)))[0]

    forge_reply(db_path, report_id, FORGED, today())
    # Replaying a real signature on other words does not help either.
    forge_reply(db_path, report_id, FORGED + " (2)", today(), authenticator_of(db_path, genuine.id))
    assert await _statuses(ws, receipt) == [
        ("genuine reply", "verified"),
        (FORGED, "failed"),
        (FORGED + " (2)", "failed"),
    ]


async def test_a_signing_key_planted_in_the_database_is_refused(workspace: Workspace) -> None:
    """The insider writes their own public key as the unit's and signs with it: the certificate,
    made with the key outside the database, does not match."""
    ws, db_path = workspace, workspace.settings.database_path
    receipt, report_id = await submit(ws)
    alice = await ws.signed_in("alice", "kent-police")
    await alice.act(report_id, "reply", {"reply": "genuine reply"})
    with sqlite3.connect(db_path) as raw:
        unit_key_id, cert = raw.execute("SELECT unit_key_id, certificate FROM unit_signing_keys").fetchone()
    mine = envelope.signing_pair_from_seed(b"i" * 32)
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE unit_signing_keys SET public_key = ?", (mine.public,))
    item_id = forge_reply(db_path, report_id, FORGED, today())
    signer = signing.Signer(int(unit_key_id), mine)
    n = item_position(db_path, item_id)
    tag = authenticity.sign_reply(signer, report_id, n, today(), FORGED.encode(), [])
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE items SET authenticator = ? WHERE id = ?", (tag, item_id))
    assert [s for _, s in await _statuses(ws, receipt)] == ["failed", "failed"]
    # Even a certificate copied along does not help: it binds the unit's real public key.
    assert cert


async def test_a_follow_up_planted_in_the_database_is_marked_in_the_units_view(workspace: Workspace) -> None:
    ws, db_path = workspace, workspace.settings.database_path
    receipt, report_id = await submit(ws)
    access = await open_with_receipt(ws.services.db, ws.services.receipts, Receipt(receipt))
    assert access is not None
    await reporter_follow_up(ws.services.db, access, "REALFOLLOWUP from the reporter", today())
    forge_follow_up(db_path, report_id, "PLANTEDFOLLOWUP I withdraw everything", today())

    alice = await ws.signed_in("alice", "kent-police")
    page = await alice.open_report(report_id)
    real, planted = page.index("REALFOLLOWUP"), page.index("PLANTEDFOLLOWUP")
    warning = "this message could not be confirmed as sent by the reporter"
    assert page.count(warning) == 1
    assert real < planted and page.index(warning) in range(real, planted)

    unlocked = await _unlocked(ws, alice)
    report = await report_store.get_report(ws.services.db, report_id)
    assert report is not None
    opened = await casework.open_report(ws.services.db, report, unlocked.unit_keys)
    assert [m.authenticity for m in opened.messages] == ["verified", "failed"]


async def test_phone_follow_ups_are_authenticated_by_the_receipt_the_handler_holds(
    workspace: Workspace,
) -> None:
    ws = workspace
    receipt, report_id = await submit(ws, channel="phone")
    access = await open_with_receipt(ws.services.db, ws.services.receipts, Receipt(receipt))
    assert access is not None
    assert await phone_follow_up(ws.services.db, access, "caller rang again", today())
    alice = await ws.signed_in("alice", "kent-police")
    unlocked = await _unlocked(ws, alice)
    report = await report_store.get_report(ws.services.db, report_id)
    assert report is not None
    opened = await casework.open_report(ws.services.db, report, unlocked.unit_keys)
    assert [(m.text, m.authenticity) for m in opened.messages] == [("caller rang again", "verified")]


async def test_items_from_before_signing_are_marked_as_such_not_as_forged(tmp_path: Path) -> None:
    """The migration draws the line per report, at the position after its last item (item
    ids are random since 0006, so a position, not an id); a report stored later has no line."""
    path = tmp_path / "old.sqlite3"
    db = await open_database(path, migrate_up_to=11)
    pair = envelope.generate_keypair()
    await old_unit(db, UnitRow("u1", "Unit one", "force"), "2026-01-01")
    key_id = await units.insert_unit_key(db, "u1", pair.public, "2026-01-01", {})
    await old_report(db, _report(key_id, pair.public, "corruption", 1))
    await db.close()
    with sqlite3.connect(path) as raw:  # the report item, then three unsigned replies, as version 11 stored them
        (seq,) = raw.execute("SELECT seq FROM reports").fetchone()
        for _ in range(3):
            raw.execute(
                "INSERT INTO items (report_seq, kind, created_day, ciphertext, key_for_unit) "
                "VALUES (?, 'unit_reply', '2026-01-01', x'00', x'00')",
                (seq,),
            )
    create_audit_key(tmp_path / "audit.key")
    db = await open_database(path)
    try:
        assert await certify.certify_upgrade(db) == 1  # the first start with the seed: the trust point
        assert await authenticity_store.first_authenticated_position(db, seq) == 5  # the report, 3 replies
        assert await authenticity_store.first_authenticated_position(db, seq + 1) == 1
        old = ItemRow(3, seq, "unit_reply", "2026-01-01", None, b"", b"", None, None, n=4)
        new = ItemRow(4, seq, "unit_reply", "2026-01-01", None, b"", b"", None, None, n=5)
        later = ItemRow(5, seq + 1, "unit_reply", "2026-01-01", None, b"", b"", None, None, n=1)
        assert await authenticity.check_reply(db, seq, "r", old, b"", []) == "before_signing"
        assert await authenticity.check_reply(db, seq, "r", new, b"", []) == "failed"
        assert await authenticity.check_reply(db, seq + 1, "r", later, b"", []) == "failed"
    finally:
        await db.close()
    for statement in (
        "UPDATE authenticity_began SET first_n = 99",
        f"INSERT INTO authenticity_began (report_seq, first_n) VALUES ({seq + 1}, 99)",
    ):
        with sqlite3.connect(path) as raw:
            try:
                raw.execute(statement)
            except sqlite3.IntegrityError:
                pass
            else:
                raise AssertionError("the line where signing began must not move")


async def test_swapping_the_reporters_key_in_the_database_is_caught(workspace: Workspace) -> None:
    """The insider replaces the stored reporter public key with one of their own, so their
    Box would check: the report itself was authenticated with the real key, and fails now."""
    ws, db_path = workspace, workspace.settings.database_path
    receipt, report_id = await submit(ws)
    mine = envelope.generate_keypair()
    with sqlite3.connect(db_path) as raw:
        report_public = bytes(
            raw.execute("SELECT report_public_key FROM reports WHERE id = ?", (report_id,)).fetchone()[0]
        )
        raw.execute("UPDATE reports SET reporter_public_key = ? WHERE id = ?", (mine.public, report_id))
    text = b"PLANTED as the reporter"
    tag = authenticity.authenticate_follow_up(mine.private, report_public, report_id, today(), text, [])
    forge_follow_up(db_path, report_id, text.decode(), today(), tag)

    alice = await ws.signed_in("alice", "kent-police")
    report = await report_store.get_report(ws.services.db, report_id)
    assert report is not None
    opened = await casework.open_report(ws.services.db, report, (await _unlocked(ws, alice)).unit_keys)
    assert opened.authenticity == "failed"
    assert [m.authenticity for m in opened.messages] == ["failed"]
    page = await alice.open_report(report_id)
    assert "this report was not made with the receipt whose key is stored with it" in page
    assert receipt


async def test_a_file_moved_onto_a_planted_reply_is_not_served(workspace: Workspace, http: object) -> None:
    """The insider re-points a real file of the unit to their planted reply: the page offers
    no download for it, and the direct link is refused like an unknown file."""
    import aiohttp

    from tests.files.test_both_directions import fetch, file_ids, report_with
    from tests.files.uploads import form_with_files
    from tests.journeys import Reporter, csrf_from

    assert isinstance(http, aiohttp.ClientSession)
    ws, db_path = workspace, workspace.settings.database_path
    receipt, report_id = await report_with(ws, http, [])
    alice = await ws.signed_in("alice", "kent-police")
    _, page = await alice.get(f"/reports/{report_id}/files")
    form = form_with_files({"csrf_token": csrf_from(page), "message": "genuine"}, [("photo.jpg", b"x" * 900)])
    async with alice.http.post(
        f"{alice.base}/reports/{report_id}/files", data=form, allow_redirects=False
    ) as r:
        assert r.status == 303
    [file_id] = await file_ids(ws, report_id)
    reporter = Reporter(http, ws.reporter_url)
    await reporter.open_thread(receipt)
    assert (await fetch(reporter, f"/thread/files/{file_id}"))[0] == 200

    planted = forge_reply(db_path, report_id, "FORGED: open the photo", today())
    with sqlite3.connect(db_path) as raw:
        raw.execute("UPDATE files SET item_id = ? WHERE id = ?", (planted, file_id))
    page = await reporter.open_thread(receipt)
    assert f"/thread/files/{file_id}" not in page
    assert (await fetch(reporter, f"/thread/files/{file_id}"))[0] == 404
