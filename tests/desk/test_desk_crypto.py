"""Invariant 9 cryptographically: with Kent's unit key and the whole database, nothing the
reporter wrote can be decrypted; with the desk's key it can.

The attacker here is an insider at Kent holding every private key of Kent's unit ring and a
copy of the database file. They try every key they hold (and every key those open, to a
fixed point) against every sealed blob in every table, and every item key against every
ciphertext with every associated data the service uses.
"""

from __future__ import annotations

from dropbox_server.clock import today
from dropbox_server.custody import keyring
from dropbox_server.reports import packages
from dropbox_server.reports.content import ContactDetails, ReportContent
from dropbox_server.reports.submission import submit_report
from dropbox_server.services import Services
from tests.conftest import unlock_custodian
from tests.desk.flow import PACKAGE
from tests.desk.insider import everything_opened, member, reviewed

MARKERS = ("Qxname", "Qxcollar", "Qxwhen", "Qxwhere", "Qxwhat", "Qxelse", "Qxhow", "Qxsafe")


async def test_kent_key_and_database_open_no_reporter_text(services: Services) -> None:
    db = services.db
    content = ReportContent(
        force="kent-police", conduct="corruption", subject_name="Qxname", collar_number="Qxcollar",
        when="Qxwhen", where="Qxwhere", what_happened="Qxwhat happened", anything_else="Qxelse",
    )  # fmt: skip
    contact = ContactDetails("Qxhow", "Qxsafe", "investigating_force")
    await submit_report(db, services.receipts, content, contact, "online", today())
    analyst = await member(services, "ann", "desk", "desk_analyst")
    supervisor = await member(services, "sue", "desk", "desk_supervisor")
    source = (await db.fetch_all("SELECT id FROM reports"))[0][0]
    draft = await packages.create_draft(db, analyst, source, "kent-police", PACKAGE, False, today())
    await packages.submit_draft(db, analyst, draft, today())
    await packages.approve_draft(
        db, supervisor, draft, set(packages.CHECKLIST), await reviewed(db, draft), today()
    )

    custodian = await unlock_custodian(db)
    kent_keys = await keyring.unit_private_keys_from_custodian(db, "kent-police", custodian)
    desk_keys = await keyring.unit_private_keys_from_custodian(db, "desk", custodian)
    await services.db.checkpoint()

    by_kent = b"\n".join(everything_opened(db.path, set(kent_keys.values())))
    assert PACKAGE["summary"].encode() in by_kent  # Kent does read its package
    for marker in MARKERS:
        assert marker.encode() not in by_kent, marker

    by_desk = b"\n".join(everything_opened(db.path, set(desk_keys.values())))
    for marker in MARKERS:
        assert marker.encode() in by_desk, marker
