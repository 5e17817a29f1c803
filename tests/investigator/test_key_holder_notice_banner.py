"""The staff site at sign-in when the notices' audit chain is altered (insider findings N5, N6).

A database writer relabels a `key_holder_added` entry mid-chain (no notice for its members
any more) or inserts an odd one: sign-in still works, and every member, of every unit, is
told that the notices cannot be trusted until the chain is whole again.
"""

from __future__ import annotations

import sqlite3

from tests.investigator.conftest import Workspace
from tests.investigator.driver import text_of

BANNER = "Notices of new key holders cannot be trusted at the moment"


def _sql(ws: Workspace, *statements: str) -> None:
    with sqlite3.connect(ws.settings.database_path, isolation_level=None) as raw:
        for statement in statements:
            raw.execute(statement)


async def test_a_relabelled_notice_entry_warns_every_member_at_sign_in(workspace: Workspace) -> None:
    alice = await workspace.enrol("alice", "kent-police")
    bob = await workspace.enrol("bob", "kent-police")
    await workspace.enrol("carl", "kent-police")
    erin = await workspace.enrol("erin", "essex-police")
    await alice.sign_in()
    _, inbox = await alice.get("/inbox")
    assert "A new key holder, bob" in text_of(inbox) and BANNER not in text_of(inbox)
    _sql(workspace, "DROP TRIGGER audit_log_no_update",
         "UPDATE audit_log SET action = 'inbox_viewed' WHERE action = 'key_holder_added' "
         "AND detail LIKE 'holder=carl %'")
    await erin.sign_in()  # erin's unit is not even concerned: the whole chain is in doubt
    _, inbox = await erin.get("/inbox")
    assert BANNER in text_of(inbox)
    await bob.sign_in()
    _, inbox = await bob.get("/inbox")
    assert BANNER in text_of(inbox) and "A new key holder, carl" not in text_of(inbox)  # hence the banner


async def test_an_inserted_odd_entry_does_not_stop_sign_in_and_is_shown(workspace: Workspace) -> None:
    alice = await workspace.enrol("alice", "kent-police")
    _sql(workspace, "INSERT INTO audit_log (seq, at, action, detail, prev_hash, hash) "
                    "SELECT max(seq) + 1, '2026-12-03', 'key_holder_added', 'told=\u00b2', x'00', 'text' FROM audit_log")
    await alice.sign_in()
    _, inbox = await alice.get("/inbox")
    assert BANNER in text_of(inbox) and "A new key holder, ?" in text_of(inbox)
