"""SQL for intelligence packages: drafts at the desk, approval into a case of their own.

Clear columns are ids, states, staff ids and days; the body, any rejection reason and the
draft's link (receiving unit, package id) are ciphertext under the draft's desk-only key, and
package_tag is a keyed digest under the desk's subject key (M2: no package tied to its desk
report in clear).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database
from dropbox_server.store.files import NewFile
from dropbox_server.store.package_files import attach_copies_tx
from dropbox_server.store.records import NewItem, NewReport
from dropbox_server.store.reports import add_item_tx, insert_report_tx
from dropbox_server.store.row_keys import new_row_key

_COLUMNS = (
    "id, source_seq, to_unit_id, package_id, package_seq, link_ciphertext, link_key, package_tag, "
    "state, author_staff_id, approver_staff_id, "
    "public_key, desk_key_id, key_for_desk, body_ciphertext, body_key, include_contact, "
    "rejection_ciphertext, rejection_key, created_day, updated_day, version, is_update"
)


@dataclass(frozen=True)
class DraftRow:
    id: int
    source_seq: int
    # Legacy rows (before migration 0015) only: the link in clear. Newer rows seal it.
    legacy_to_unit_id: str | None
    legacy_package_id: str | None
    legacy_package_seq: int | None
    link_ciphertext: bytes | None  # {receiving unit, package id}, sealed to public_key
    link_key: bytes | None
    package_tag: bytes | None  # keyed digest of the package id (desk subject key)
    state: str  # draft, submitted, approved
    author_staff_id: int | None
    approver_staff_id: int | None
    public_key: bytes
    desk_key_id: int
    key_for_desk: bytes
    body_ciphertext: bytes
    body_key: bytes
    include_contact: bool
    rejection_ciphertext: bytes | None
    rejection_key: bytes | None
    created_day: str
    updated_day: str
    version: int  # raised by every edit, submission and rejection
    is_update: bool  # an update of a delivered package, not its first version


@dataclass(frozen=True)
class NewDraft:
    source_seq: int
    link_ciphertext: bytes
    link_key: bytes
    package_tag: bytes
    is_update: bool
    author_staff_id: int
    public_key: bytes
    desk_key_id: int
    key_for_desk: bytes
    body_ciphertext: bytes
    body_key: bytes
    include_contact: bool
    day: str
    # The draft key's certificate from the id the store gives it (custody/certify.py).
    certificate: Callable[[int], bytes] | None = None


@dataclass(frozen=True)
class Approval:
    """What approving a draft writes: a new package case, or an update item for one."""

    draft_id: int
    approver_staff_id: int
    day: str
    version: int  # the version the approver reviewed
    new_case: NewReport | None
    desk_grant: tuple[int, bytes] | None  # the desk's copy of the package key (first approval)
    update: NewItem | None
    risk: bool
    files: tuple[NewFile, ...] = ()  # clean copies of the chosen files, already durable on disk


def _row(r: aiosqlite.Row) -> DraftRow:
    values = list(r)
    values[16] = bool(values[16])
    values[22] = bool(values[22])
    return DraftRow(*values)


async def _desk_state_tx(tx: aiosqlite.Connection, source_seq: int, state: str) -> None:
    await tx.execute("UPDATE reports SET desk_state = ? WHERE seq = ?", (state, source_seq))


async def insert_draft(db: Database, d: NewDraft, audit: PendingAudit) -> int:
    """A new draft, the source report marked 'drafted' (unless a package already left).

    Security: its id is random (see row_keys): a counter reused the id of a withdrawn
    report's draft and numbered the desk's work in order.
    """
    draft_id = new_row_key()
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO package_drafts (id, source_seq, link_ciphertext, link_key, package_tag, state, "
            "author_staff_id, public_key, desk_key_id, key_for_desk, body_ciphertext, body_key, "
            "include_contact, created_day, updated_day, is_update) "
            "VALUES (?,?,?,?,?,'draft',?,?,?,?,?,?,?,?,?,?)",
            (
                draft_id,
                d.source_seq,
                d.link_ciphertext,
                d.link_key,
                d.package_tag,
                d.author_staff_id,
                d.public_key,
                d.desk_key_id,
                d.key_for_desk,
                d.body_ciphertext,
                d.body_key,
                int(d.include_contact),
                d.day,
                d.day,
                int(d.is_update),
            ),
        )
        if d.certificate is not None:
            made = d.certificate(draft_id)
            await tx.execute("UPDATE package_drafts SET certificate = ? WHERE id = ?", (made, draft_id))
        await tx.execute(
            "UPDATE reports SET desk_state = 'drafted' WHERE seq = ? AND desk_state IN ('new', 'waiting')",
            (d.source_seq,),
        )
        await append_tx(tx, audit)
        return draft_id


async def update_draft(
    db: Database,
    draft_id: int,
    body: tuple[bytes, bytes],
    include_contact: bool,
    day: str,
    audit: PendingAudit,
) -> bool:
    """Replace a draft's body while it is still a draft (not submitted or approved)."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE package_drafts SET body_ciphertext = ?, body_key = ?, include_contact = ?, "
            "updated_day = ?, version = version + 1 WHERE id = ? AND state = 'draft'",
            (body[0], body[1], int(include_contact), day, draft_id),
        )
        if cur.rowcount != 1:
            return False
        await append_tx(tx, audit)
        return True


async def submit_draft(db: Database, draft_id: int, source_seq: int, day: str, audit: PendingAudit) -> bool:
    """Draft → submitted (waiting for a second desk member); the rejection reason is cleared."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE package_drafts SET state = 'submitted', rejection_ciphertext = NULL, "
            "rejection_key = NULL, updated_day = ?, version = version + 1 WHERE id = ? AND state = 'draft'",
            (day, draft_id),
        )
        if cur.rowcount != 1:
            return False
        await tx.execute(
            "UPDATE reports SET desk_state = 'awaiting' WHERE seq = ? AND desk_state <> 'closed'",
            (source_seq,),
        )
        await append_tx(tx, audit)
        return True


async def reject_draft(
    db: Database, draft_id: int, source_seq: int, reason: tuple[bytes, bytes], day: str, audit: PendingAudit
) -> bool:
    """Submitted → draft again, with the reason for its author."""
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE package_drafts SET state = 'draft', rejection_ciphertext = ?, rejection_key = ?, "
            "updated_day = ?, version = version + 1 WHERE id = ? AND state = 'submitted'",
            (reason[0], reason[1], day, draft_id),
        )
        if cur.rowcount != 1:
            return False
        await tx.execute(
            "UPDATE reports SET desk_state = 'drafted' WHERE seq = ? AND desk_state = 'awaiting'",
            (source_seq,),
        )
        await append_tx(tx, audit)
        return True


async def approve(
    db: Database, draft: DraftRow, package_seq: int | None, a: Approval, audit: PendingAudit
) -> int | None:
    """Approve a submitted draft and deliver it, in one transaction; returns the case's seq.

    Returns None when someone else approved, rejected or changed it meanwhile, including
    any version other than the one the approver reviewed. The schema refuses an approval by
    the author (trigger package_drafts_two_people). `package_seq`: the delivered package an
    update is for (None for a first version).
    """
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE package_drafts SET state = 'approved', approver_staff_id = ?, updated_day = ? "
            "WHERE id = ? AND state = 'submitted' AND version = ?",
            (a.approver_staff_id, a.day, a.draft_id, a.version),
        )
        if cur.rowcount != 1:
            return None
        item_id = None
        if a.new_case is not None:
            seq = await insert_report_tx(tx, a.new_case)
            if a.desk_grant is not None:
                await tx.execute(
                    "INSERT INTO report_key_grants (report_seq, purpose, unit_key_id, sealed_private_key) "
                    "VALUES (?, 'content', ?, ?)",
                    (seq, a.desk_grant[0], a.desk_grant[1]),
                )
        elif a.update is not None and package_seq is not None:
            seq = package_seq
            item_id = await add_item_tx(tx, seq, a.update, a.day)
            await tx.execute("UPDATE reports SET risk = ? WHERE seq = ?", (int(a.risk), seq))
        else:
            raise ValueError("an approval delivers a new package or an update")
        await attach_copies_tx(tx, seq, item_id, a.files)
        await tx.execute(
            "UPDATE reports SET desk_state = 'disseminated' WHERE seq = ? AND desk_state <> 'closed'",
            (draft.source_seq,),
        )
        await append_tx(tx, audit)
        return seq


async def get_draft(db: Database, draft_id: int) -> DraftRow | None:
    r = await db.fetch_one(f"SELECT {_COLUMNS} FROM package_drafts WHERE id = ?", (draft_id,))  # noqa: S608
    return _row(r) if r else None


async def drafts_of(db: Database, source_seq: int) -> list[DraftRow]:
    """Every draft and approved version made from one desk report, oldest first."""
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM package_drafts WHERE source_seq = ? ORDER BY created_day, is_update, id",  # noqa: S608
        (source_seq,),
    )
    return [_row(r) for r in rows]


async def awaiting_approval(db: Database) -> list[DraftRow]:
    """Drafts submitted for a second desk member's approval, oldest first."""
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM package_drafts WHERE state = 'submitted' ORDER BY updated_day, id",  # noqa: S608
    )
    return [_row(r) for r in rows]


async def source_of_package(db: Database, package_tag: bytes, package_id: str) -> int | None:
    """The desk report a package case was made from: found by its keyed tag (computed in a
    desk session), or by the clear link of a draft written before migration 0015."""
    r = await db.fetch_one(
        "SELECT source_seq FROM package_drafts WHERE package_tag = ? LIMIT 1", (package_tag,)
    )
    if r is None:
        r = await db.fetch_one(
            "SELECT source_seq FROM package_drafts WHERE package_id = ? LIMIT 1", (package_id,)
        )
    return int(r[0]) if r else None


async def legacy_drafts(db: Database, limit: int) -> list[DraftRow]:
    """Drafts written before migration 0015, whose link is still in clear."""
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM package_drafts WHERE package_id IS NOT NULL LIMIT ?",  # noqa: S608
        (limit,),
    )
    return [_row(r) for r in rows]


async def seal_link(db: Database, draft_id: int, link: tuple[bytes, bytes], package_tag: bytes) -> None:
    """Replace a legacy draft's clear link by its sealed form (secure_delete overwrites it)."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE package_drafts SET link_ciphertext = ?, link_key = ?, package_tag = ?, "
            "to_unit_id = NULL, package_id = NULL, package_seq = NULL "
            "WHERE id = ? AND package_id IS NOT NULL",
            (link[0], link[1], package_tag, draft_id),
        )


async def passed_to_police(db: Database, source_seq: int) -> bool:
    """Whether any package made from this report has been approved and delivered."""
    r = await db.fetch_one(
        "SELECT 1 FROM package_drafts WHERE source_seq = ? AND state = 'approved' LIMIT 1", (source_seq,)
    )
    return r is not None


async def set_desk_state(db: Database, source_seq: int, state: str, audit: PendingAudit | None) -> None:
    async with db.transaction() as tx:
        await _desk_state_tx(tx, source_seq, state)
        if audit is not None:
            await append_tx(tx, audit)
