"""Repeat subjects: which other reports of the unit name the same collar number or person.

A report's identifiers are normalised and hashed with the unit's subject key when a member of
the unit first opens it; only the keyed digests are stored. Matching compares digests, so no
other report is decrypted to find or show a match.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from dropbox_server import envelope
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.custody.subject_key import open_subject_key
from dropbox_server.forces import FORCES_BY_ID
from dropbox_server.reports.access import own_unit_keys, require_reader
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.package_content import PackageContent
from dropbox_server.reports.routing import UNKNOWN_FORCE
from dropbox_server.store import Database, ReportRow
from dropbox_server.store import subjects as subject_store

COLLAR = "collar"
NAME = "name"
# Every marked report gets exactly this many rows: the stored marks do not say whether a
# report named a collar number, a name, both or neither (a missing one is random filler).
MARKS_PER_REPORT = 2
MATCH_LIMIT = 50


@dataclass(frozen=True)
class RepeatSubjects:
    """Other reports of the unit naming the same collar number (with its force) or name."""

    collar: tuple[str, ...]
    name: tuple[str, ...]


def normalise(text: str) -> str:
    """Compatibility-normalised, case-folded, letters and digits only: "KT 4417" == "kt-4417"."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def collar_message(force: str, collar_number: str) -> str:
    """A collar number only means something with its force: both go into the digest."""
    collar = normalise(collar_number)
    return f"{force}\x00{collar}" if collar else ""


def identifiers(content: ReportContent | PackageContent) -> dict[str, str]:
    """The normalised identifiers a report (or a package) names, by kind (missing ones left out).

    A package's collar number goes with the unit it was sent to (the desk sends a package
    to the subject's force), so a force's search finds its packages and reports alike.
    """
    found = {
        COLLAR: collar_message(content.force, content.collar_number),
        NAME: normalise(content.subject_name),
    }
    return {kind: value for kind, value in found.items() if value}


def digests_of(key: bytes, content: ReportContent | PackageContent) -> dict[str, bytes]:
    return {kind: envelope.subject_digest(key, kind, value) for kind, value in identifiers(content).items()}


async def _unit_subject_key(db: Database, staff: UnlockedStaff, day: str) -> tuple[int, bytes]:
    keys = await own_unit_keys(db, staff)
    return await open_subject_key(db, staff.staff.unit_id, keys, day)


async def repeat_subjects(
    db: Database, staff: UnlockedStaff, report: ReportRow, content: ReportContent | PackageContent, day: str
) -> RepeatSubjects:
    """Mark the report the first time its unit opens it, and list the unit's other reports
    naming the same subject.

    The caller has opened the report (access.load_case's checks passed). A package is marked
    with the subject the desk's analyst wrote (issue 19: the force's search by collar number
    finds packages too); the desk cannot mark it at approval, as it never holds the
    receiving force's subject key.
    Security: only digests are read and written; no other report is opened.
    """
    require_reader(staff)
    if report.unit_id != staff.staff.unit_id:
        return RepeatSubjects((), ())
    key_id, key = await _unit_subject_key(db, staff, day)
    mine = digests_of(key, content)
    if not await subject_store.is_marked(db, key_id, report.seq):
        filler = [secrets.token_bytes(32) for _ in range(MARKS_PER_REPORT - len(mine))]
        await subject_store.mark(db, key_id, report.seq, [*mine.values(), *filler])
    found = await subject_store.reports_naming(
        db, key_id, staff.staff.unit_id, list(mine.values()), MATCH_LIMIT + 1
    )
    by_kind = {
        kind: tuple(rid for d, rid in found if envelope.secret_equal(d, digest) and rid != report.id)
        for kind, digest in mine.items()
    }
    return RepeatSubjects(by_kind.get(COLLAR, ()), by_kind.get(NAME, ()))


async def collar_search(
    db: Database, staff: UnlockedStaff, collar_number: str, force: str | None, day: str
) -> tuple[int, tuple[bytes, ...]]:
    """(subject key id, digests) to find the unit's reports naming a collar number.

    Without a force, the number is looked for with every force (and "force not known").
    Security: the digests are computed in this session, with the unit's subject key.
    """
    require_reader(staff)
    forces = [force] if force else [*FORCES_BY_ID, UNKNOWN_FORCE]
    key_id, key = await _unit_subject_key(db, staff, day)
    messages = [collar_message(f, collar_number) for f in forces]
    return key_id, tuple(envelope.subject_digest(key, COLLAR, m) for m in messages if m)


async def name_search(
    db: Database, staff: UnlockedStaff, name: str, day: str
) -> tuple[int, tuple[bytes, ...]]:
    """(subject key id, digests) to find the unit's reports naming a person."""
    require_reader(staff)
    key_id, key = await _unit_subject_key(db, staff, day)
    value = normalise(name)
    return key_id, ((envelope.subject_digest(key, NAME, value),) if value else ())
