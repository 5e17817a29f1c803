"""The "new key holder" notices (invariant 12), kept where a database writer cannot hide them.

A notice is the `key_holder_added` entry of the keyed audit chain, written in the same
transaction that adds the key holder; it names the unit, the new holder, who added and who
approved them, the day, and the ids of the members told then. Who sees it is decided when
read: every key-holding member of the unit whose own joining entry (their arrival, first
holder approval or move in) comes before it, plus anyone that list names (insider finding
N2: the list was read from staff rows a writer can change). A member's acknowledgement is a row
carrying a MAC, under a key made from the outside seed (audit.key), over (member, entry seq,
entry hash).

Security (insider finding F10): whoever can write the database but not read audit.key cannot
make or move an acknowledgement (a bad one is not honoured, and fails the health check), and
deleting one brings the notice back. Editing or deleting the entry itself breaks the chain
(the audit check on /health); an entry that does not link up is shown, not hidden, to its
unit and to everyone it names. Every doubt falls on the side of the member seeing the notice.
Notices written before this version (plain rows) are shown until acknowledged, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, unquote

from dropbox_server import audit, envelope
from dropbox_server.store import Database, StaffRow
from dropbox_server.store import audit as audit_store
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store.audit import AuditRow, PendingAudit
from dropbox_server.store.enrolments import KeyHolderNotice
from dropbox_server.store.staff import KEY_HOLDING_ROLES

ACTION = "key_holder_added"
ACK_PURPOSE = b"tipdrop:v1:key-holder-notice-ack"
_UNKNOWN = "?"


def announcement(
    unit_id: str, key_holder: str, added_by: str, approved_by: str, day: str, *, rekey: bool = False
) -> Callable[[list[int], int], PendingAudit]:
    """The entry to append once the members told (ids) and the new holder's id are known.

    A re-key (a member's new key after a lost password) is marked `rekey=1`: it is not the
    member joining the unit, so it never moves where their notices start.
    """

    def entry(members: list[int], holder_id: int) -> PendingAudit:
        detail = (
            f"holder={quote(key_holder, safe='')} holder_id={holder_id} added_by={quote(added_by, safe='')} "
            f"approved_by={quote(approved_by, safe='')} day={quote(day, safe='')} "
            f"told={','.join(str(m) for m in sorted(members))}{' rekey=1' if rekey else ''}"
        )
        return audit.pending(ACTION, unit_id=unit_id, detail=detail)

    return entry


def _fields(detail: object) -> dict[str, str]:
    """The entry's fields (the first of each name: a command line adds `by=` after them).

    A detail that is not text (a row a writer INSERTed) has none: its entry does not link up
    either, so it is shown to its unit, never raised on (insider finding N5).
    """
    out: dict[str, str] = {}
    if not isinstance(detail, str):
        return out
    for token in detail.split():
        name, sep, value = token.partition("=")
        if sep and name not in out:
            out[name] = unquote(value)
    return out


def _told(fields: dict[str, str]) -> set[int]:
    # ASCII digits only: str.isdigit takes "²", which int() refuses (insider finding N5).
    return {int(t) for t in fields.get("told", "").split(",") if _MEMBER_ID.fullmatch(t)}


_MEMBER_ID = re.compile(r"[0-9]{1,18}", re.ASCII)


def _links(row: AuditRow, seed: bytes | None) -> bool:
    """Whether the entry links up under the outside key; a row of odd types simply does not."""
    if seed is None:
        return False
    try:
        return audit.row_links(row, seed)
    except (TypeError, ValueError):  # e.g. a BLOB where text belongs: json refuses it
        return False


def ack_mac(seed: bytes, staff_id: int, seq: int, entry_hash: bytes) -> bytes:
    """The MAC that makes an acknowledgement this member's, for this very entry."""
    message = b"ack" + staff_id.to_bytes(8, "big", signed=True) + seq.to_bytes(8, "big") + entry_hash
    return envelope.keyed_digest(envelope.derive_key(seed, ACK_PURPOSE), message, b"tipdrop:v1:notice")


# Entries that record a member joining a unit's key holders, besides their own ACTION entry.
_FIRST_HOLDER = "enrolment_approved"  # detail "for=<username> unit_keys=<n> first_key_holder"
_MOVED = "staff_moved"  # staff_id = the member, detail "from=<unit> to=<unit>"
JOIN_ACTIONS = (ACTION, _FIRST_HOLDER, _MOVED)


def _is_join(row: AuditRow, staff: StaffRow) -> bool:
    """Whether this entry records `staff` joining their current unit's key holders (not a re-key)."""
    e = row.entry
    detail = e.detail if isinstance(e.detail, str) else ""
    fields, words = _fields(detail), detail.split()
    if e.action == ACTION:
        return (e.unit_id == staff.unit_id and fields.get("holder_id") == str(staff.id)
                and "rekey" not in fields)
    if e.action == _FIRST_HOLDER:
        return (e.unit_id == staff.unit_id and fields.get("for") == staff.username
                and "first_key_holder" in words and "rekey" not in words)
    # A move is recorded under the unit left: its "to=" names the one joined.
    return e.action == _MOVED and e.staff_id == staff.id and fields.get("to") == staff.unit_id


def _joined(rows: list[tuple[AuditRow, bool]], staff: StaffRow) -> int:
    """The chain position where this member first joined their unit's key holders; 0 if unknown.

    Only entries that link up under the outside key count, and the EARLIEST one: a member
    re-keyed later, or who left and came back, sees more, never less. A member with no such
    entry (one who joined before 0018) sees every entry of the unit.
    """
    return next((row.seq for row, intact in rows if intact and _is_join(row, staff)), 0)


def _concerns(row: AuditRow, staff: StaffRow, intact: bool, joined: int) -> bool:
    """Whether a `key_holder_added` entry is news for this member.

    Security (insider finding N2): decided when read, from the keyed chain, not from the
    staff rows a writer could change for the approval: every key-holding member of the
    unit sees every entry after their own joining one. The list the entry names may add
    members (one moved away since), never take one off.
    """
    fields = _fields(row.entry.detail)
    if staff.id in _told(fields):
        return True
    unit = row.entry.unit_id
    if fields.get("holder_id") == str(staff.id):
        return False  # their own arrival (or re-key)
    if unit == staff.unit_id and staff.role in KEY_HOLDING_ROLES and row.seq > joined:
        return True
    # An entry that does not link up may have had its unit or list edited: shown to its unit,
    # whatever the member's role, and to everyone when it names no unit (text) at all.
    return not intact and (unit == staff.unit_id or not isinstance(unit, str))


def _text(value: object) -> str:
    return value if isinstance(value, str) and value else _UNKNOWN


def _notice(row: AuditRow) -> KeyHolderNotice:
    f = _fields(row.entry.detail)
    return KeyHolderNotice(
        f"e{row.seq}", _text(row.entry.unit_id), f.get("holder", _UNKNOWN), f.get("added_by", _UNKNOWN),
        f.get("approved_by", _UNKNOWN), f.get("day", _text(row.entry.at)),
    )


async def _entries(db: Database, seed: bytes | None) -> list[tuple[AuditRow, bool]]:
    """The notice and joining entries, in chain order, each with whether it links up."""
    return [(row, _links(row, seed)) for row in await audit_store.with_action(db, *JOIN_ACTIONS)]


async def open_notices(db: Database, staff: StaffRow) -> list[KeyHolderNotice]:
    """The notices this member has not (verifiably) acknowledged, oldest first.

    Security: without the outside seed nothing can be checked, so every notice shows.
    """
    seed = db.audit_seed
    acks = await enrolment_store.acknowledgements(db, staff.id)
    rows = await _entries(db, seed)
    joined = _joined(rows, staff)
    shown: list[KeyHolderNotice] = []
    for row, intact in rows:
        if row.entry.action != ACTION or not _concerns(row, staff, intact, joined):
            continue
        mac = acks.get(row.seq)
        if intact and seed is not None and mac is not None and envelope.secret_equal(
            mac, ack_mac(seed, staff.id, row.seq, row.hash)
        ):
            continue
        shown.append(_notice(row))
    return shown + await enrolment_store.legacy_notices(db, staff.id)


async def trustworthy(db: Database) -> bool:
    """Whether the notices can be trusted: the keyed chain holding them is whole and uncut.

    Security (insider finding N6): notices are found by action, so an entry relabelled or
    deleted mid-chain is no notice for its members; only the whole chain's check sees that.
    While it fails, every member is told the notices cannot be trusted (read at sign-in: a
    full walk of the log, too dear for every page).
    """
    return await audit.reaches_kept_checkpoint(db)


async def acknowledge(db: Database, staff: StaffRow, notice_id: str) -> bool:
    """Mark one of this member's notices as read (audited); False if it is not theirs to mark.

    Security: an entry that does not link up under the outside key cannot be acknowledged:
    it keeps showing until security staff look into it.
    """
    entry = audit.pending("key_holder_notice_acknowledged", staff=staff, detail=f"notice={notice_id}")
    kind, number = notice_id[:1], notice_id[1:]
    if not _MEMBER_ID.fullmatch(number):
        return False
    if kind == "r":
        return await enrolment_store.acknowledge_legacy_notice(db, staff.id, int(number), entry)
    seed = db.audit_seed
    rows = await audit_store.entries(db, int(number) - 1, 1)
    if kind != "e" or seed is None or not rows or rows[0].seq != int(number):
        return False
    row = rows[0]
    if row.entry.action != ACTION or not _links(row, seed):
        return False
    if not _concerns(row, staff, True, _joined(await _entries(db, seed), staff)):
        return False
    mac = ack_mac(seed, staff.id, row.seq, row.hash)
    await enrolment_store.add_acknowledgement(db, staff.id, row.seq, mac, entry)
    return True


def forged_acknowledgements(
    seed: bytes, rows: Iterable[tuple[int, int, bytes, bytes | None, str | None]]
) -> list[str]:
    """The acknowledgements (member, entry seq, MAC, entry hash, entry action) this server did not make."""
    return [
        f"member #{staff_id} entry {seq}"
        for staff_id, seq, mac, entry_hash, action in rows
        if entry_hash is None or action != ACTION
        or not envelope.secret_equal(mac, ack_mac(seed, staff_id, seq, entry_hash))
    ]
