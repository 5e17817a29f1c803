"""Where a package draft goes (receiving unit, package id), kept sealed to the desk (M2).

A draft row keeps its source report (source_seq: the desk report's deletion deletes its
drafts) but never, in clear, the package it becomes or the unit it goes to: that link is
sealed to the draft's own desk-only key pair, and package_tag, a keyed digest of the package
id under the desk's subject key, lets a desk session find a package's drafts.

Security: without a desk member's unlocked key, a copy of the database cannot tie a package
in a force's inbox to the desk report it came from, nor tell which force a desk report went to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from dropbox_server import envelope
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.custody.subject_key import open_subject_key
from dropbox_server.forces import DESK_ID
from dropbox_server.reports.access import own_unit_keys
from dropbox_server.store import Database
from dropbox_server.store import reports as report_store
from dropbox_server.store.packages import DraftRow

LINK_CONTEXT = b"tipdrop:v1:package-link"
PACKAGE_TAG = "package"
AUDIT_REF = "audit-ref"


@dataclass(frozen=True)
class Draft:
    """A draft row with its link opened in a desk session."""

    row: DraftRow
    to_unit_id: str
    package_id: str
    package_seq: int | None  # the delivered package (an approved draft, or what an update is for)

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def state(self) -> str:
        return self.row.state

    @property
    def author_staff_id(self) -> int | None:
        return self.row.author_staff_id

    @property
    def version(self) -> int:
        return self.row.version

    @property
    def is_update(self) -> bool:
        return self.row.is_update

    @property
    def include_contact(self) -> bool:
        return self.row.include_contact


async def desk_subject_key(db: Database, staff: UnlockedStaff, day: str) -> bytes:
    """The desk's subject key, opened with the signed-in desk member's keys."""
    _, key = await open_subject_key(db, DESK_ID, await own_unit_keys(db, staff), day)
    return key


def package_tag(subject_key: bytes, package_id: str) -> bytes:
    return envelope.subject_digest(subject_key, PACKAGE_TAG, package_id)


def audit_ref(subject_key: bytes, report_id: str) -> str:
    """A desk report's keyed reference for audit entries that follow a force's about a package.

    Security (F5): a force's own entries name its package, so a desk entry right after them
    naming the source report (or its draft, whose row names the source) would tie the two in
    a copy. This reference names the report only to whoever holds the desk's subject key: a
    desk member can compute it for a report and find its entries; a copy cannot.
    """
    return "ref=" + envelope.subject_digest(subject_key, AUDIT_REF, report_id)[:12].hex()


def seal_link(draft_public: bytes, to_unit_id: str, package_id: str) -> tuple[bytes, bytes]:
    """(ciphertext, item key sealed to the draft's key) of the draft's link."""
    payload = json.dumps({"to": to_unit_id, "package": package_id}).encode("utf-8")
    blob, key, _ = envelope.seal_new_item(draft_public, payload, LINK_CONTEXT)
    return blob, key


def _open_link(draft_private: bytes, row: DraftRow) -> tuple[str, str]:
    if row.link_ciphertext is None or row.link_key is None:
        if row.legacy_to_unit_id is None or row.legacy_package_id is None:
            raise envelope.EnvelopeError("a draft without a link")
        return row.legacy_to_unit_id, row.legacy_package_id  # written before migration 0015
    key = envelope.unseal(draft_private, row.link_key)
    found = json.loads(envelope.decrypt(key, row.link_ciphertext, LINK_CONTEXT))
    return str(found["to"]), str(found["package"])


async def open_draft_link(db: Database, draft_private: bytes, row: DraftRow) -> Draft:
    """The draft with its receiving unit and package; package_seq once the package exists."""
    to_unit_id, package_id = _open_link(draft_private, row)
    package_seq = None
    if row.state == "approved" or row.is_update:
        package = await report_store.get_report(db, package_id)
        package_seq = package.seq if package is not None and package.is_package else None
    return Draft(row, to_unit_id, package_id, package_seq)


def draft_private(keys: dict[int, bytes], row: DraftRow) -> bytes | None:
    """The draft's private key, opened with the desk's unit keys (None: no key of this ring)."""
    desk_key = keys.get(row.desk_key_id)
    if desk_key is None:
        return None
    try:
        return envelope.unseal(desk_key, row.key_for_desk)
    except envelope.EnvelopeError:
        return None
