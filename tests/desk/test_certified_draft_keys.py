"""A package draft's key swapped in the database (with a key_for_desk the attacker sealed to the
desk's public key): the next version and a rejection reason are refused, not sealed to it."""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify
from dropbox_server.reports import packages
from dropbox_server.services import Services
from dropbox_server.store import units
from tests.desk.flow import PACKAGE
from tests.desk.test_packages import desk_report, member


async def test_a_swapped_draft_key_gets_no_new_version_or_reason_sealed_to_it(
    settings: Settings, services: Services
) -> None:
    db = services.db
    source = await desk_report(services)
    sam = await member(services, "sam", "desk", "desk_supervisor")
    sue = await member(services, "sue", "desk", "desk_supervisor")
    draft = await packages.create_draft(db, sam, source, "kent-police", PACKAGE, False, today())
    await packages.edit_draft(db, sam, draft, {**PACKAGE, "when": "this year"}, False, today())  # certified: fine
    evil = envelope.generate_keypair()
    desk_key = await units.current_unit_key(db, "desk")
    assert desk_key is not None
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute(
            "UPDATE package_drafts SET public_key = ?, key_for_desk = ? WHERE id = ?",
            (evil.public, envelope.seal(desk_key.public_key, evil.private), draft),
        )
    with pytest.raises(certify.UncertifiedKey):
        await packages.edit_draft(db, sam, draft, {**PACKAGE, "when": "last year"}, False, today())
    # Nothing else is done with the draft either: its key is checked before its link opens.
    with pytest.raises(certify.UncertifiedKey):
        await packages.submit_draft(db, sam, draft, today())
    with pytest.raises(certify.UncertifiedKey):
        await packages.reject_draft(db, sue, draft, "Too precise about the day.", today())
