"""A reporter's genuine follow-up copied to a later place in the thread (a database writer).

Attacker (b): writes the database only. A follow-up's Box (from the receipt's key pair to the
report key) covered report, day, text and files but not its position, so a writer could copy
an old follow-up ("yes, meet me on Friday") after a newer one ("do NOT contact me, I am being
watched"), delete the newer one, and the unit (or the desk) saw the old words as the
reporter's latest, genuine message. Was an attack test (it passed on the old code); a
follow-up's Box now covers its position (format 2), so a moved or duplicated copy fails.
"""

from __future__ import annotations

import secrets
import sqlite3

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.reports import authenticity, casework
from dropbox_server.reports.reporter_access import reporter_follow_up
from dropbox_server.services import open_services
from dropbox_server.store import reports as report_store
from tests.reports.forgery import forge_follow_up
from tests.reports.kent_report import alice_and_a_report, unlock_alice

OLD = "yes, meet me on Friday at the station"
NEW = "do NOT contact me, I am being watched"


async def _unit_view(settings: Settings, report_id: str) -> list[tuple[str, str]]:
    async with open_services(settings) as services:
        db = services.db
        alice = await unlock_alice(db)
        report = await report_store.get_report(db, report_id)
        assert report is not None
        opened = await casework.open_report(db, report, alice.unit_keys)
    return [(m.text, m.authenticity) for m in opened.messages if m.kind == "reporter_message"]


async def test_an_old_follow_up_moved_after_a_newer_one_is_marked(settings: Settings) -> None:
    access, report = await alice_and_a_report(settings)
    async with open_services(settings) as services:
        await reporter_follow_up(services.db, access, OLD, today())
        await reporter_follow_up(services.db, access, NEW, today())
    assert await _unit_view(settings, access.report_id) == [(OLD, "verified"), (NEW, "verified")]
    with sqlite3.connect(settings.database_path) as raw:
        raw.row_factory = sqlite3.Row
        first, second = raw.execute(
            "SELECT * FROM items WHERE report_seq = ? AND kind = 'reporter_message' ORDER BY n",
            (report.seq,),
        ).fetchall()
        for n in (second["n"] + 1, second["n"] + 2):  # moved after the newer one, and duplicated
            copy = dict(first)
            copy["id"], copy["n"] = secrets.randbits(62), n
            raw.execute(f"INSERT INTO items ({', '.join(copy)}) VALUES ({', '.join('?' * len(copy))})",
                        tuple(copy.values()))
        raw.execute("DELETE FROM items WHERE id = ?", (second["id"],))
    # DEFENCE: the follow-up stays genuine where the reporter sent it; its copies are marked.
    assert await _unit_view(settings, access.report_id) == [
        (OLD, "verified"), (OLD, "failed"), (OLD, "failed")
    ]


async def test_a_follow_up_sent_before_positions_verifies_unless_it_stands_after_a_positioned_one(
    settings: Settings,
) -> None:
    access, report = await alice_and_a_report(settings)

    def format_1(text: str) -> bytes:
        """A follow-up's authenticator as the reporter's page made it before positions were covered."""
        return authenticity.authenticate_follow_up(
            access.private_key, report.report_public_key, access.report_id, today(), text.encode(), []
        )

    path = settings.database_path
    forge_follow_up(path, access.report_id, "old format", today(), format_1("old format"))
    async with open_services(settings) as services:
        await reporter_follow_up(services.db, access, "new format", today())
    forge_follow_up(path, access.report_id, "old after new", today(), format_1("old after new"))
    # Format 1 still verifies where it stands; after a format-2 follow-up it can only have been moved.
    assert await _unit_view(settings, access.report_id) == [
        ("old format", "verified"), ("new format", "verified"), ("old after new", "failed")
    ]
