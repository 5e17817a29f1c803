"""SQL for passing a report to another unit: re-sealed grants, the record, the history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.authenticity import retire_report_key_tx
from dropbox_server.store.database import Database
from dropbox_server.store.outcomes import NewOutcome, insert_history_tx

_COLUMNS = (
    "t.id, r.id, t.from_unit_id, t.to_unit_id, t.day, t.staff_id, t.conflict_override, "
    "t.contact_passed, t.sender_unit_key_id, t.reason_ciphertext, t.reason_key_for_report, "
    "t.reason_key_for_sender"
)


@dataclass(frozen=True)
class NewTransfer:
    """Everything a transfer writes; grants are already sealed to the receiving unit's key."""

    report_seq: int
    from_unit_id: str
    to_unit_id: str
    previous_outcome: str
    day: str
    staff_id: int
    conflict_override: bool
    receiver_key_id: int
    content_grant: bytes
    contact_grant: bytes | None
    sender_unit_key_id: int
    reason_ciphertext: bytes
    reason_key_for_report: bytes
    reason_key_for_sender: bytes
    history_reason_ciphertext: bytes
    history_reason_key: bytes
    # The report's new key pair: (old public, old private sealed to the new, new public).
    rotation: tuple[bytes, bytes, bytes] | None = None
    # A package's desk grants: (desk unit key id, the new report private key sealed to it).
    desk_grants: tuple[tuple[int, bytes], ...] = ()
    # (generation, last position) -> certificates of the retired key and of the report after
    # the hand-over (custody/certify.py), written in this transaction.
    certificates: Callable[[int, int], tuple[bytes, bytes]] | None = None


class _KeyChanged(Exception):
    """The report's key changed since the transfer was prepared: roll back."""


@dataclass(frozen=True)
class TransferRow:
    id: int
    report_id: str
    from_unit_id: str
    to_unit_id: str
    day: str
    staff_id: int | None
    conflict_override: bool
    contact_passed: bool
    sender_unit_key_id: int
    reason_ciphertext: bytes
    reason_key_for_report: bytes
    reason_key_for_sender: bytes


async def transfer(db: Database, t: NewTransfer, audit: PendingAudit) -> bool:
    """Hand a report over in one transaction; False if it is no longer the sender's to pass.

    Security: every existing grant of the report's keys is deleted before the receiver's are
    written, so no key of the sending unit opens the report afterwards. Without a contact
    grant for the receiver, the contact item itself is deleted (secure_delete overwrites it).
    With `rotation` the report gets its new key pair in the same transaction (the old one
    filed as history, sealed to the new), so nothing later is sealed to a key the sender had.
    """
    try:
        return await _transfer(db, t, audit)
    except _KeyChanged:
        return False


async def _transfer(db: Database, t: NewTransfer, audit: PendingAudit) -> bool:
    async with db.transaction() as tx:
        cur = await tx.execute(
            "UPDATE reports SET unit_id = ?, outcome = 'new', last_activity_day = ? "
            "WHERE seq = ? AND unit_id = ? AND outcome = ?",
            (t.to_unit_id, t.day, t.report_seq, t.from_unit_id, t.previous_outcome),
        )
        if cur.rowcount != 1:
            return False
        if t.rotation is not None and not await retire_report_key_tx(
            tx, t.report_seq, *t.rotation, t.from_unit_id, t.certificates
        ):
            raise _KeyChanged
        # The desk keeps reading a package (the force's questions, where it went): its grants
        # come back re-sealed to the new key (`desk_grants`). Every other earlier grant goes.
        await tx.execute("DELETE FROM report_key_grants WHERE report_seq = ?", (t.report_seq,))
        grants = [(t.report_seq, "content", t.receiver_key_id, t.content_grant)]
        grants += [(t.report_seq, "content", key_id, sealed) for key_id, sealed in t.desk_grants]
        if t.contact_grant is not None:
            grants.append((t.report_seq, "contact", t.receiver_key_id, t.contact_grant))
        else:
            await tx.execute("DELETE FROM items WHERE report_seq = ? AND kind = 'contact'", (t.report_seq,))
            await tx.execute("UPDATE reports SET contact_public_key = NULL WHERE seq = ?", (t.report_seq,))
        await tx.executemany(
            "INSERT INTO report_key_grants (report_seq, purpose, unit_key_id, sealed_private_key) "
            "VALUES (?, ?, ?, ?)",
            grants,
        )
        await tx.execute("DELETE FROM report_reads WHERE report_seq = ?", (t.report_seq,))
        await _write_record(tx, t)
        await append_tx(tx, audit)
    return True


async def _write_record(tx: aiosqlite.Connection, t: NewTransfer) -> None:
    await tx.execute(
        "INSERT INTO transfers (report_seq, from_unit_id, to_unit_id, day, staff_id, "
        "conflict_override, contact_passed, sender_unit_key_id, reason_ciphertext, "
        "reason_key_for_report, reason_key_for_sender) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            t.report_seq,
            t.from_unit_id,
            t.to_unit_id,
            t.day,
            t.staff_id,
            int(t.conflict_override),
            int(t.contact_grant is not None),
            t.sender_unit_key_id,
            t.reason_ciphertext,
            t.reason_key_for_report,
            t.reason_key_for_sender,
        ),
    )
    sender = NewOutcome(
        t.report_seq,
        t.from_unit_id,
        "transferred",
        t.previous_outcome,
        t.day,
        t.staff_id,
        t.history_reason_ciphertext,
        t.history_reason_key,
    )
    receiver = NewOutcome(t.report_seq, t.to_unit_id, "new", "transferred", t.day, None, None, None)
    await insert_history_tx(tx, sender)
    await insert_history_tx(tx, receiver)


async def desk_grant_keys(db: Database, seq: int) -> list[tuple[int, bytes]]:
    """(unit key id, public key) of each desk unit key holding a grant of this report."""
    rows = await db.fetch_all(
        "SELECT DISTINCT k.id, k.public_key FROM report_key_grants g "
        "JOIN unit_keys k ON k.id = g.unit_key_id JOIN units u ON u.id = k.unit_id "
        "WHERE g.report_seq = ? AND g.purpose = 'content' AND u.kind = 'desk' ORDER BY k.id",
        (seq,),
    )
    return [(int(r[0]), bytes(r[1])) for r in rows]


def _row(r: aiosqlite.Row) -> TransferRow:
    v: list[object] = list(r)
    v[6], v[7] = bool(v[6]), bool(v[7])
    return TransferRow(*v)  # type: ignore[arg-type]


async def transfers_from(db: Database, unit_id: str, limit: int = 200) -> list[TransferRow]:
    """The sending unit's record of reports it passed on, newest first."""
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM transfers t JOIN reports r ON r.seq = t.report_seq "  # noqa: S608
        "WHERE t.from_unit_id = ? ORDER BY t.id DESC LIMIT ?",
        (unit_id, limit),
    )
    return [_row(r) for r in rows]


async def transfers_of(db: Database, seq: int) -> list[TransferRow]:
    """Every transfer of one report, oldest first."""
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM transfers t JOIN reports r ON r.seq = t.report_seq "  # noqa: S608
        "WHERE t.report_seq = ? ORDER BY t.id",
        (seq,),
    )
    return [_row(r) for r in rows]
