"""Repeat subjects: the desk sees other reports naming the same collar number or person, from
keyed digests only; nobody with the server's files but no password can test a guess."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.custody.keyring import unit_private_keys_from_custodian
from dropbox_server.custody.subject_key import open_subject_key
from dropbox_server.forces import DESK_ID
from dropbox_server.reports.repeat_subjects import COLLAR, NAME, collar_message, normalise
from tests.conftest import unlock_custodian
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import text_of
from tests.scan import scan

_LINK = re.compile(r'<a href="/reports/([a-z0-9]+)">')


def repeats(page: str, kind: str) -> list[str]:
    """Report ids linked under the repeat-subjects paragraph of one kind."""
    found = re.search(rf'<p id="repeats-{kind}">.*?</ul>', page, re.S)
    return _LINK.findall(found.group(0)) if found else []


def test_normalisation() -> None:
    assert normalise("KT 4417") == normalise("kt4417") == normalise(" k t-4417 ") == normalise("ＫＴ４４１７")
    assert normalise("John  SMITH") == normalise("john smith") == normalise("JohnSmith")
    assert collar_message("kent-police", "KT 4417") != collar_message("essex-police", "KT 4417")
    assert collar_message("kent-police", " - ") == ""


async def _reports(ws: Workspace) -> dict[str, str]:
    ids = {}
    for label, force, collar, name in (
        ("a", "kent-police", "KT 4417", "John  Smith"),
        ("b", "kent-police", "kt4417", ""),
        ("c", "essex-police", "KT4417", "john smith"),  # same number, another force; same name
        ("d", "kent-police", "KT 4418", "Jane Doe"),
    ):
        _, ids[label] = await submit(ws, force=force, collar_number=collar, subject_name=name)
    return ids


async def test_written_differently_still_match_across_forces(workspace: Workspace) -> None:
    ids = await _reports(workspace)
    ann = await workspace.signed_in("ann", DESK_ID, "desk_analyst")
    first = await ann.open_report(ids["a"])
    assert repeats(first, "collar") == [] and "repeat-subjects" not in first  # nothing else marked yet
    for label in "bcd":
        await ann.open_report(ids[label])
    page = await ann.open_report(ids["a"])
    assert repeats(page, "collar") == [ids["b"]]
    assert repeats(page, "name") == [ids["c"]]  # names match across forces
    assert "1 other report names the same collar number" in text_of(page)
    page = await ann.open_report(ids["c"])
    assert repeats(page, "collar") == [] and repeats(page, "name") == [ids["a"]]
    assert "repeat-subjects" not in await ann.open_report(ids["d"])

    # Every marked report has the same number of rows: they do not say who named whom.
    rows = await workspace.services.db.fetch_all(
        "SELECT report_seq, count(*) FROM subject_marks GROUP BY report_seq"
    )
    assert len(rows) == 4 and {int(r[1]) for r in rows} == {2}


async def test_a_force_unit_sees_only_its_own_reports(workspace: Workspace) -> None:
    ids = await _reports(workspace)
    ann = await workspace.signed_in("ann", DESK_ID, "desk_analyst")
    for label in "abcd":
        await ann.open_report(ids[label])
    kim = await workspace.signed_in("kim", "kent-police")
    status, _ = await kim.get(f"/reports/{ids['a']}")
    assert status == 404  # a desk report is not the force's (no package was sent)


def _blobs(db_file: Path) -> set[bytes]:
    """Every BLOB and TEXT value of 32 bytes or more anywhere in the database."""
    out: set[bytes] = set()
    with sqlite3.connect(db_file) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                for value in row:
                    raw = value.encode() if isinstance(value, str) else value
                    if isinstance(raw, bytes) and len(raw) >= 32:
                        out.add(raw)
    return out


async def test_no_guess_can_be_tested_without_a_password(workspace: Workspace) -> None:
    ids = await _reports(workspace)
    ann = await workspace.signed_in("ann", DESK_ID, "desk_analyst")
    for label in "abcd":
        await ann.open_report(ids[label])
    db = workspace.services.db
    await db.checkpoint()
    data_dir = workspace.settings.data_dir
    stored = {bytes(r[0]) for r in await db.fetch_all("SELECT digest FROM subject_marks")}
    guess = collar_message("kent-police", "KT 4417")

    # Control: security staff (K custodian shares) or a signed-in member can open the key,
    # and with it the guess is found among the stored digests.
    custodian = await unlock_custodian(db)
    unit_keys = await unit_private_keys_from_custodian(db, DESK_ID, custodian)
    _, key = await open_subject_key(db, DESK_ID, unit_keys, "2026-12-03")
    assert envelope.subject_digest(key, COLLAR, guess) in stored
    assert envelope.subject_digest(key, NAME, normalise("John Smith")) in stored

    # The key is nowhere on disk in the clear.
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert all(key not in p.read_bytes() for p in files)

    # The digests are not a plain hash of the value, in any usual form.
    plain = {
        f(m.encode()).digest()
        for m in (guess, "KT 4417", "kt4417", f"{COLLAR}\x00{guess}")
        for f in (hashlib.sha256, hashlib.sha3_256, hashlib.blake2s)
    } | {hashlib.blake2b(f"{COLLAR}\x00{guess}".encode(), digest_size=32, person=b"tipdrop:v1:subj").digest()}
    assert plain.isdisjoint(stored)

    # Nothing stored in the database or any file of the data directory works as the key:
    # each 32-byte value or 32-byte file prefix is tried, and none reproduces the digest.
    candidates = {b[:32] for b in _blobs(data_dir / "tipdrop.sqlite3")} | {
        p.read_bytes()[:32] for p in files if p.stat().st_size >= 32
    }
    for candidate in candidates:
        assert envelope.subject_digest(candidate, COLLAR, guess) not in stored


async def test_plaintext_scan_finds_no_identifier(workspace: Workspace) -> None:
    collar, name = "QX 90817", "Zebedee Quorn-Ŵynne"
    _, first = await submit(workspace, force="kent-police", collar_number=collar, subject_name=name)
    _, second = await submit(
        workspace, force="kent-police", collar_number="qx90817", subject_name=name.upper()
    )
    ann = await workspace.signed_in("ann", DESK_ID, "desk_analyst")
    await ann.open_report(first)
    page = await ann.open_report(second)
    assert repeats(page, "collar") == [first]  # the marks were made
    needles = [
        collar,
        "qx90817",
        "QX90817",
        normalise(name),
        name,
        name.upper(),
        collar_message("kent-police", collar),
    ]
    assert scan([workspace.settings.data_dir], needles) == []
