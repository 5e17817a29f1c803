"""Upgrading to key certificates: the first start with the seed certifies what is there, once."""

from __future__ import annotations

import sqlite3

import pytest

from dropbox_server import envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify
from dropbox_server.reports.content import ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import open_services
from dropbox_server.store import audit as audit_store
from tests.conftest import init_test_data_dir

_UNCERTIFY = (
    "UPDATE custodian SET certificate = NULL",
    "UPDATE unit_keys SET certificate = NULL",
    "UPDATE staff SET certificate = NULL",
    "UPDATE reports SET certificate = NULL",
    "INSERT OR IGNORE INTO certification_owed (id) VALUES (1)",
)


def _as_before_certificates(settings: Settings) -> None:
    """A data directory as migration 0013 leaves an older one: no certificates, no pin, owed."""
    with sqlite3.connect(settings.database_path) as raw:
        for statement in _UNCERTIFY:
            raw.execute(statement)
    (settings.data_dir / certify.PIN_NAME).unlink()


async def _submit(settings: Settings) -> None:
    async with open_services(settings) as services:
        content = ReportContent(force="kent-police", conduct="corruption", what_happened="x")
        await submit_report(services.db, services.receipts, content, None, "online", today())


async def test_the_first_start_certifies_an_upgraded_directory_and_pins_the_custodian(settings: Settings) -> None:
    await init_test_data_dir(settings)
    _as_before_certificates(settings)
    await _submit(settings)  # the start certified everything, so sealing works
    assert (settings.data_dir / certify.PIN_NAME).exists()
    async with open_services(settings) as services:
        actions = [r.entry.action for r in await audit_store.entries(services.db, 0, 1000)]
    assert actions.count("keys_certified") == 1


async def test_a_database_writer_cannot_have_a_later_start_bless_a_swapped_key(settings: Settings) -> None:
    """Swap a unit key, clear its certificate and set the owed marker again: with the pin in
    place the start certifies nothing, so the swapped key is refused, not sealed to."""
    await init_test_data_dir(settings)
    evil = envelope.generate_keypair()
    with sqlite3.connect(settings.database_path) as raw:
        raw.execute(
            "UPDATE unit_keys SET public_key = ?, certificate = NULL WHERE unit_id = 'kent-police'", (evil.public,)
        )
        raw.execute("INSERT INTO certification_owed (id) VALUES (1)")
    with pytest.raises(certify.UncertifiedKey):
        await _submit(settings)
    async with open_services(settings) as services:
        details = [r.entry.detail for r in await audit_store.entries(services.db, 0, 1000)
                   if r.entry.action == "key_check_failed"]
    assert details == ["owed-marker-ignored", "unit_key=kent-police"]
