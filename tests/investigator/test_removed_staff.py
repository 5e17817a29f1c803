"""Removing someone from the command line ends their live session at their next request."""

from __future__ import annotations

from dropbox_server.clock import today
from dropbox_server.custody.revocation import remove_staff
from tests.investigator.conftest import Workspace, submit


async def test_removed_investigator_is_signed_out_at_once(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    await workspace.signed_in("alice", "kent-police")
    bob = await workspace.signed_in("bob", "kent-police")
    assert (await bob.get(f"/reports/{report_id}"))[0] == 200
    await remove_staff(workspace.services.db, "bob", today())
    status, _ = await bob.get(f"/reports/{report_id}", follow=False)
    assert status == 303
    status, page = await bob.get("/inbox")
    assert "Sign in" in page
    assert report_id not in page


async def test_members_read_reports_sealed_to_a_new_key_without_signing_in_again(workspace: Workspace) -> None:
    alice = await workspace.signed_in("alice", "kent-police")
    await workspace.signed_in("bob", "kent-police")
    await remove_staff(workspace.services.db, "bob", today())  # rotates the Kent unit key
    _, report_id = await submit(workspace, what_happened="sealed to the rotated key")
    status, page = await alice.get(f"/reports/{report_id}")
    assert status == 200 and "sealed to the rotated key" in page
