"""Keyed tags the desk's inbox filters on, written in a desk member's session (M1, M2).

A desk report's named force is kept only inside the sealed report; the inbox filter "force
named" matches named_force_tag, a keyed digest of it under the desk's subject key. New
reports arrive untagged (the server holds no desk key at submission), so each desk inbox view
first tags the reports that arrived since, and seals the clear link of any draft written
before migration 0015 (reports/package_links.py).

Security: the subject key is opened only with a signed-in desk member's unit keys, so the
tags in a database copy neither say which force a report names nor let a guess be tested.
"""

from __future__ import annotations

import secrets

from dropbox_server import envelope
from dropbox_server.custody import certify
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.forces import DESK_ID
from dropbox_server.reports.access import own_unit_keys
from dropbox_server.reports.content import ReportContent, item_context
from dropbox_server.reports.package_links import desk_subject_key, draft_private, package_tag, seal_link
from dropbox_server.reports.routing import UNKNOWN_FORCE
from dropbox_server.store import Database
from dropbox_server.store import packages as package_store
from dropbox_server.store import reports as report_store
from dropbox_server.store.casework import SealedSummary, sealed_summaries

NAMED_FORCE = "named_force"
BATCH = 200


def named_force_tag(subject_key: bytes, force: str | None) -> bytes:
    """The keyed digest of the force a report names ("unknown" when it names none)."""
    return envelope.subject_digest(subject_key, NAMED_FORCE, force or UNKNOWN_FORCE)


def _named_force(report_id: str, sealed: SealedSummary | None, keys: dict[int, bytes]) -> str | None:
    """The force named inside the sealed report; None when no key of the desk opens it."""
    if sealed is None:
        return None
    for key_id, grant in sealed.grants:
        private = keys.get(key_id)
        if private is None:
            continue
        try:
            item_key = envelope.unseal(envelope.unseal(private, grant), sealed.key_for_unit)
            raw = envelope.decrypt(item_key, sealed.ciphertext, item_context(report_id, "report"))
        except envelope.EnvelopeError:
            continue
        return ReportContent.from_bytes(raw).force
    return None


async def _tag_new_reports(db: Database, keys: dict[int, bytes], subject_key: bytes) -> None:
    # Each batch costs three round trips to the database thread, not one more per report.
    while untagged := await report_store.untagged_desk_reports(db, DESK_ID, BATCH):
        sealed = await sealed_summaries(db, [seq for seq, _ in untagged])
        tags = []
        for seq, report_id in untagged:
            force = _named_force(report_id, sealed.get(seq), keys)
            # A report no desk key opens gets a random tag: it matches no filter, and looks
            # like any other in a copy.
            tags.append((seq, named_force_tag(subject_key, force) if force else secrets.token_bytes(32)))
        await report_store.set_named_force_tags(db, tags)


async def _seal_legacy_links(db: Database, keys: dict[int, bytes], subject_key: bytes) -> bool:
    """Seal the clear link of drafts written before migration 0015; True when any was."""
    sealed = False
    for row in await package_store.legacy_drafts(db, BATCH):
        private = draft_private(keys, row)
        if private is None or row.legacy_to_unit_id is None or row.legacy_package_id is None:
            continue
        link = seal_link(await certify.draft_public(db, row), row.legacy_to_unit_id, row.legacy_package_id)
        await package_store.seal_link(db, row.id, link, package_tag(subject_key, row.legacy_package_id))
        sealed = True
    return sealed


async def tag_desk_reports(db: Database, staff: UnlockedStaff, day: str) -> None:
    """Tag the desk's untagged reports and seal legacy draft links; nothing outside the desk."""
    if staff.staff.unit_id != DESK_ID:
        return
    untagged = await report_store.untagged_desk_reports(db, DESK_ID, 1)
    if not untagged and not await package_store.legacy_drafts(db, 1):
        return  # the usual case: nothing to do, and no key opened
    keys = await own_unit_keys(db, staff)
    subject_key = await desk_subject_key(db, staff, day)
    await _tag_new_reports(db, keys, subject_key)
    if await _seal_legacy_links(db, keys, subject_key):
        await db.scrub_wal()  # Security: the clear links' page images leave the WAL


async def named_force_filter(db: Database, staff: UnlockedStaff, force: str, day: str) -> bytes:
    """What the inbox matches for "force named": the desk's tag; outside the desk, nothing."""
    if staff.staff.unit_id != DESK_ID:
        return b"\x00"  # no report of a force unit has a named-force tag
    return named_force_tag(await desk_subject_key(db, staff, day), force)
