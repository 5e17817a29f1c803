"""The audit trail: a hash-chained, append-only log of what staff did.

What is logged: sign-ins (success and failure), sign-outs, each view of a report,
replies, notes, outcome changes, transfers, assignments, attachment downloads and key
changes (enrolment, authenticator replaced). A `key_holder_added` entry is also the
"new key holder" notice itself, naming the members told (custody/notices.py). Each entry
names the action, the member of staff (id, and username for sign-ins), the unit and the
report's public id, and a short code-like detail (e.g. the new outcome code, the receiving
unit or the assignee). Never any reporter content, reason or message text.

Security (timestamps): entries carry the UTC day only, and their order is the chain's.
Seconds let a copy of the database date a reporter's follow-up to the window between two
staff notes on other reports; the day and the order of staff actions keep accountability
(who read what, on which day, before or after what) without that. Entries written before
this version keep the second-precision time they were hashed with: rewriting them would
break the chain and the head recorded outside. Nothing a *reporter* does is ever logged:
not the submission, a check-back or a follow-up (invariant 2).

Security (failed sign-ins): the username is logged only when it names a real account.
A string typed into the username box that matches nobody may be a mistyped password,
so it is logged as "(unknown)" rather than stored.

Security (chain): each entry's hash is BLAKE2b, keyed with a key kept outside the database
(the `audit.key` file beside it, mode 0600, in key backups), over the previous hash and a
canonical encoding of the entry (envelope.keyed_chain_digest). Editing, inserting or
deleting an entry breaks every later link, and someone who can write the database but does
not hold the key cannot compute new links to hide it; `python run.py audit verify` names
the first broken one. Cutting off the newest entries cannot be seen from the log alone, so
`audit checkpoint` prints the head (sequence, hash, and an Ed25519 signature by a key made
from the same outside seed) for a witness to keep, and `audit verify --checkpoint FILE`
fails unless that very entry is still there with that hash.

Security (re-keying): a chain written before the key existed (unkeyed BLAKE2b from zeros)
is re-keyed once, from the genesis, after checking it links up; an `audit_rekeyed` entry
records the day and how many entries came before. For those earlier entries the guarantee
is weaker: they are protected from the day of re-keying on, but anyone who could write the
database before then could have rewritten them and recomputed the unkeyed chain. The old
head hash is printed when re-keying so it can be compared with one written down earlier.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from pathlib import Path

from dropbox_server import envelope
from dropbox_server.datadir import create_audit_key, replace_file
from dropbox_server.store import Database
from dropbox_server.store import audit as audit_store
from dropbox_server.store.audit import AuditEntry, PendingAudit
from dropbox_server.store.database import read_audit_seed
from dropbox_server.store.records import StaffRow

UNKNOWN_USERNAME = "(unknown)"
ACTIONS = frozenset(
    {
        "sign_in",
        "sign_in_failed",
        "sign_out",
        "view",
        "reply",
        "note",
        "outcome",
        "transfer",
        "assigned",
        "staff_enrolled",
        "authenticator_replaced",
        "authenticator_replace_failed",
        "file_download",
        "case_export",
        "unit_key_rotated",
        "unit_key_retired",
        "staff_removed",
        "staff_moved",
        "password_reset",
        "totp_reset",
        "unit_created",
        "keys_backed_up",
        "database_backed_up",
        "restored",
        "onion_client_added",
        "onion_client_removed",
        "onion_client_rotated",
        "report_deleted",
        "routing_changed",
        "package_drafted",
        "package_edited",
        "package_submitted",
        "package_approved",
        "package_rejected",
        "relay_asked",
        "relay_sent",
        "relay_declined",
        "desk_closed",
        "custodian_recovered",
        "key_check_failed",
        "keys_certified",
        "custodian_passphrase_failed",
        "custodian_shares_refused",
        "unit_renamed",
        "unit_retired",
        "custodian_split",
        "custodian_reshared",
        "enrolment_requested",
        "enrolment_approved",
        "enrolment_redeemed",
        "enrolment_code_refused",
        "key_holder_notice_acknowledged",
        "password_change_failed",
        "enrolment_approval_refused",
        "inbox_viewed",
        "audit_rekeyed",
        "key_checks_acknowledged",
        "key_holder_added",
    }
)
# Who ran the command-line action being recorded (set once per command by the CLI).
# Security: a ContextVar, not a global: each asyncio.run copies it, and the web service
# never sets it, so a staff member's own entries never carry an operator.
_OPERATOR: ContextVar[str | None] = ContextVar("audit_operator", default=None)


@contextmanager
def operator_scope(name: str) -> Iterator[None]:
    """Every entry made inside carries `by=NAME`: the security officer who ran the command."""
    token = _OPERATOR.set(name)
    try:
        yield
    finally:
        _OPERATOR.reset(token)


def now_utc() -> str:
    """Today's UTC date: the only time an audit entry records (see Security above)."""
    return datetime.now(UTC).date().isoformat()


def encode_entry(seq: int, entry: AuditEntry) -> bytes:
    """The canonical bytes of an entry: sorted-key JSON including its position.

    Built directly for the usual field types (the health checks walk the whole chain each
    time), byte for byte what `_encode_generic` gives (tests/audit pins it); anything else
    goes through `json` itself.
    """
    e = entry
    if (type(seq) is int and type(e.action) is str and type(e.at) is str and type(e.detail) is str
            and type(e.staff_id) in _INT_OR_NONE and type(e.report_id) in _STR_OR_NONE
            and type(e.unit_id) in _STR_OR_NONE and type(e.username) in _STR_OR_NONE):
        return (
            f'{{"action":{_text(e.action)},"at":{_text(e.at)},"detail":{_text(e.detail)},'
            f'"report_id":{_text_or_null(e.report_id)},"seq":{seq},'
            f'"staff_id":{"null" if e.staff_id is None else e.staff_id},'
            f'"unit_id":{_text_or_null(e.unit_id)},"username":{_text_or_null(e.username)}}}'
        ).encode("ascii")
    return _encode_generic(seq, entry)


_text = encode_basestring_ascii
_INT_OR_NONE = frozenset({int, type(None)})
_STR_OR_NONE = frozenset({str, type(None)})


def _text_or_null(value: str | None) -> str:
    return "null" if value is None else _text(value)


def _encode_generic(seq: int, entry: AuditEntry) -> bytes:
    fields = {
        "seq": seq,
        "at": entry.at,
        "action": entry.action,
        "staff_id": entry.staff_id,
        "username": entry.username,
        "unit_id": entry.unit_id,
        "report_id": entry.report_id,
        "detail": entry.detail,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("ascii")


CHAIN_PURPOSE = b"tipdrop:v1:audit-chain"
CHECKPOINT_PURPOSE = b"tipdrop:v1:audit-checkpoint"


def link(seq: int, previous: bytes, entry: AuditEntry, seed: bytes | None) -> bytes:
    """The hash of entry `seq` given the hash before it: keyed once the key seed exists."""
    return _link_under(chain_key(seed), seq, previous, entry)


def chain_key(seed: bytes | None) -> bytes | None:
    """The key of the chain's links made from the outside seed (None for an unkeyed chain)."""
    return None if seed is None else envelope.derive_key(seed, CHAIN_PURPOSE)


def _link_under(key: bytes | None, seq: int, previous: bytes, entry: AuditEntry) -> bytes:
    if key is None:
        return envelope.chain_digest(previous, encode_entry(seq, entry))
    return envelope.keyed_chain_digest(key, previous, encode_entry(seq, entry))


def row_links(row: audit_store.AuditRow, seed: bytes) -> bool:
    """Whether one entry is what was hashed under the outside key, given the hash it names before it.

    Cheap (one entry); the whole chain (edits elsewhere, deletions) is `verify`'s and health's.
    """
    return envelope.secret_equal(row.hash, link(row.seq, row.prev_hash, row.entry, seed))


def pending(
    action: str,
    *,
    staff: StaffRow | None = None,
    username: str | None = None,
    report_id: str | None = None,
    detail: str = "",
    clock: Callable[[], str] = now_utc,
    unit_id: str | None = None,
) -> PendingAudit:
    """An entry ready to append (in the transaction of the action it records, where possible)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    operator = _OPERATOR.get()
    if operator is not None:
        detail = f"{detail} by={operator}".strip()
    entry = AuditEntry(
        at=clock(),
        action=action,
        staff_id=staff.id if staff else None,
        username=username if username is not None else (staff.username if staff else None),
        unit_id=staff.unit_id if staff else unit_id,
        report_id=report_id,
        detail=detail,
    )
    return PendingAudit(entry=entry, link=link)


async def record(db: Database, entry: PendingAudit) -> int:
    """Append an entry on its own (for actions that change nothing else, like a view)."""
    return await audit_store.append(db, entry)


@dataclass(frozen=True)
class Verification:
    """The result of checking the chain: how many entries, the head, the first broken one."""

    entries: int
    head: bytes
    broken_seq: int | None = None
    problem: str = ""
    keyed: bool = True

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


async def verify(db: Database, batch: int = 1000) -> Verification:
    """Walk the whole chain and stop at the first entry that does not link up.

    Once the key file exists every link must be keyed; before, the chain is unkeyed
    (`keyed` is False and the result says little against someone who can write the database).
    """
    return await _walk(db, batch, db.audit_seed)


async def verify_unkeyed(db: Database, batch: int = 1000) -> Verification:
    """Walk a chain written before it was keyed (only to check it before re-keying)."""
    return await _walk(db, batch, None)


async def _walk(db: Database, batch: int, seed: bytes | None) -> Verification:
    walk = ChainWalk(seed)
    while rows := await audit_store.entries(db, walk.expected_seq - 1, batch):
        for row in rows:
            if not walk.feed(row):
                return walk.result()
    return walk.result()


class ChainWalk:
    """Checks the chain one row at a time, in order (the async walk and health's read-only one)."""

    def __init__(self, seed: bytes | None) -> None:
        self.seed = seed
        self._key = chain_key(seed)  # once, not once a row
        self.previous = audit_store.GENESIS
        self.expected_seq = 1
        self.count = 0
        self.broken: tuple[int, str] | None = None

    def feed(self, row: audit_store.AuditRow) -> bool:
        """Check the next row; False (and nothing more is checked) once the chain is broken."""
        if self.broken is not None:
            return False
        if row.seq != self.expected_seq:
            self.broken = (self.expected_seq, "is missing")
        elif not envelope.secret_equal(row.prev_hash, self.previous):
            self.broken = (row.seq, "does not follow the entry before it")
        elif not envelope.secret_equal(row.hash, _link_under(self._key, row.seq, self.previous, row.entry)):
            self.broken = (row.seq, "has been altered")
        else:
            self.previous, self.expected_seq, self.count = row.hash, self.expected_seq + 1, self.count + 1
            return True
        return False

    def result(self) -> Verification:
        keyed = self.seed is not None
        if self.broken is None:
            return Verification(self.count, self.previous, keyed=keyed)
        return Verification(self.count, self.previous, self.broken[0], self.broken[1], keyed)


def verify_rows(
    rows: Iterable[audit_store.AuditRow], seed: bytes, checkpoint: Checkpoint | None = None
) -> Verification:
    """The keyed chain of `rows` (all of them, in order), and that it still holds `checkpoint`.

    Security: the checkpoint's signature is checked with the key made from the seed, so a
    checkpoint file planted for a rewritten log is refused (CheckpointError).
    """
    if checkpoint is not None:
        _check_signature(checkpoint_pair(seed), checkpoint)
    walk = ChainWalk(seed)
    at_checkpoint: bytes | None = None
    for row in rows:
        if not walk.feed(row):
            return walk.result()
        if checkpoint is not None and row.seq == checkpoint.seq:
            at_checkpoint = row.hash
    result = walk.result()
    if checkpoint is None or checkpoint.seq == 0:
        return result
    if result.entries < checkpoint.seq:
        return Verification(result.entries, result.head, result.entries + 1,
                            "is missing: the log was cut short before the checkpoint")
    if at_checkpoint is None or not envelope.secret_equal(at_checkpoint, checkpoint.hash):
        return Verification(result.entries, result.head, checkpoint.seq,
                            "differs from the checkpoint: the log was rewritten")
    return result


class AuditKeyMissing(Exception):
    """The outside key seed is needed (to re-key, sign or check a checkpoint) and is absent."""


@dataclass(frozen=True)
class Rekeyed:
    entries: int  # entries re-keyed (before the audit_rekeyed entry)
    old_head: bytes  # the unkeyed head, to compare with any written down before


async def start_keyed_chain(db: Database, key_path: Path, day: str) -> Rekeyed | None:
    """Create the outside key seed beside the database and re-key the existing chain under it.

    Refuses when the key file exists: only the step that creates the key may re-key, so an
    unkeyed chain rewritten later by someone who can write the database is never blessed.
    If this stops between the two steps, the chain fails `verify`; remove the new key file
    (nothing was keyed with it) and run `audit rekey` again.
    """
    create_audit_key(key_path)
    seed = read_audit_seed(key_path)
    if seed is None:
        raise AuditKeyMissing(f"{key_path} was not written")
    await db.use_audit_seed(seed)
    return await _rekey(db, day)


async def refused_since_acknowledged(db: Database) -> int:
    """Refused key checks (`key_check_failed`) since the last `key_checks_acknowledged`."""
    return await audit_store.count_since_last(db, "key_check_failed", "key_checks_acknowledged")


async def was_keyed(db: Database) -> bool:
    """Whether the log shows it was keyed before (an `audit_rekeyed` or `keys_certified` entry)."""
    return await audit_store.has_action(db, ("audit_rekeyed", "keys_certified"))


async def _rekey(db: Database, day: str, clock: Callable[[], str] = now_utc) -> Rekeyed | None:
    """Re-key an unkeyed chain from the genesis under the database's (new) key seed.

    None when there is nothing to do (an empty log). Raises ValueError naming the first
    broken entry when the old chain does not link up: a broken chain is not blessed.
    """
    seed = db.audit_seed
    if seed is None:
        raise AuditKeyMissing("no audit key beside the database")
    if (await audit_store.head(db))[0] == 0:
        return None
    old = await verify_unkeyed(db)
    if not old.ok:
        raise ValueError(f"the audit log is broken at entry {old.broken_seq}: it {old.problem}")
    expected = await audit_store.head(db)
    new_hashes, previous = [], audit_store.GENESIS
    for row in await _all_rows(db):
        new = link(row.seq, previous, row.entry, seed)
        new_hashes.append((row.seq, previous, new))
        previous = new
    entry = pending(
        "audit_rekeyed",
        username="security staff (command line)",
        detail=f"rekeyed-on={day} entries-before={old.entries} old-head={old.head.hex()}",
        clock=clock,
    )
    if await audit_store.rekey(db, expected, new_hashes, entry) is None:
        raise ValueError("the audit log grew while it was being re-keyed; run it again")
    return Rekeyed(old.entries, old.head)


async def _all_rows(db: Database, batch: int = 1000) -> list[audit_store.AuditRow]:
    out: list[audit_store.AuditRow] = []
    while rows := await audit_store.entries(db, out[-1].seq if out else 0, batch):
        out.extend(rows)
    return out


@dataclass(frozen=True)
class Checkpoint:
    """The signed head of the chain, for an outside witness to keep."""

    seq: int
    hash: bytes
    signature: bytes
    public_key: bytes

    def to_text(self) -> str:
        return (
            f"{CHECKPOINT_HEADER}\nsequence: {self.seq}\nhash: {self.hash.hex()}\n"
            f"signature: {self.signature.hex()}\npublic-key: {self.public_key.hex()}\n"
        )


CHECKPOINT_HEADER = "tipdrop audit checkpoint v1"
# The last checkpoint `audit checkpoint` printed, kept beside the database (not in it) so the
# health checks can require the log still to reach it.
CHECKPOINT_NAME = "audit.checkpoint"


class CheckpointError(Exception):
    """A checkpoint file cannot be read, or the log does not match it; the message says why."""


def _checkpoint_message(seq: int, head: bytes) -> bytes:
    return CHECKPOINT_PURPOSE + b"\x00" + seq.to_bytes(8, "big") + head


def _checkpoint_pair(db: Database) -> envelope.SigningPair:
    if db.audit_seed is None:
        raise AuditKeyMissing("no audit key beside the database")
    return checkpoint_pair(db.audit_seed)


def checkpoint_pair(seed: bytes) -> envelope.SigningPair:
    """The checkpoint signing pair made from the outside seed."""
    return envelope.signing_pair_from_seed(envelope.derive_key(seed, CHECKPOINT_PURPOSE))


def _check_signature(pair: envelope.SigningPair, cp: Checkpoint) -> None:
    if not envelope.secret_equal(cp.public_key, pair.public) or not envelope.signature_valid(
        pair.public, _checkpoint_message(cp.seq, cp.hash), cp.signature
    ):
        raise CheckpointError("the checkpoint's signature is not this service's: it was not made here")


async def checkpoint(db: Database) -> Checkpoint:
    """Sign the current head (after checking the whole chain; a broken one is not signed)."""
    pair = _checkpoint_pair(db)
    result = await verify(db)
    if not result.ok:
        raise CheckpointError(f"the audit log is broken at entry {result.broken_seq}; not signing it")
    seq = result.entries
    return Checkpoint(
        seq, result.head, envelope.sign(pair, _checkpoint_message(seq, result.head)), pair.public
    )


async def keep_checkpoint(db: Database) -> Checkpoint | None:
    """Sign the head now and keep it beside the database as CHECKPOINT_NAME; None if not kept.

    Called after every `key_holder_added` entry commits. Security (insider finding N1): that
    entry is the newest of its transaction, and cutting the newest entries off cannot be seen
    from the log alone; the kept checkpoint makes the health checks fail if the log no longer
    reaches it. A checkpoint is never moved back, nor one we cannot read replaced (the health
    check reports either). This file sits on the same server: a witness's copy of `audit
    checkpoint` kept outside stays the guarantee against someone who can write the folder too.
    """
    try:
        signed = await checkpoint(db)
    except (AuditKeyMissing, CheckpointError):
        return None  # no key, or the chain is broken: the health checks are red already
    path = db.path.parent / CHECKPOINT_NAME
    if path.exists():
        try:
            kept = parse_checkpoint(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, CheckpointError):
            return None
        if kept.seq > signed.seq:
            return None
    replace_file(path, signed.to_text().encode("utf-8"))
    return signed


async def reaches_kept_checkpoint(db: Database) -> bool:
    """Whether the whole chain links up under the outside key and still reaches the checkpoint
    kept beside the database (if any). A full walk of the log: for sign-in, not every page."""
    if db.audit_seed is None:
        return False
    path = db.path.parent / CHECKPOINT_NAME
    try:
        if path.exists():
            result = await verify_against(db, parse_checkpoint(path.read_text("utf-8")))
        else:
            result = await verify(db)
    except (OSError, UnicodeDecodeError, CheckpointError, TypeError, ValueError):
        return False  # unreadable, not ours, or an entry of types no writer of ours stores
    return result.ok


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint as `Checkpoint.to_text` wrote it; raises CheckpointError."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if CHECKPOINT_HEADER not in lines:
        raise CheckpointError("not an audit checkpoint (no header line)")
    # Whatever a witness kept around it (a mail, a note) is ignored; the lines after count.
    lines = lines[lines.index(CHECKPOINT_HEADER) :]
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    try:
        return Checkpoint(
            seq=int(fields["sequence"]),
            hash=bytes.fromhex(fields["hash"]),
            signature=bytes.fromhex(fields["signature"]),
            public_key=bytes.fromhex(fields["public-key"]),
        )
    except (KeyError, ValueError):
        raise CheckpointError("the checkpoint is incomplete or malformed") from None


async def verify_against(db: Database, cp: Checkpoint) -> Verification:
    """Check the chain and that it still holds the checkpoint's entry with the same hash.

    Raises CheckpointError when the checkpoint is not ours or the log no longer reaches it.
    Security: the signature is checked with the key made from our seed, not the one the
    file names, so a planted checkpoint for a rewritten log is refused.
    """
    _check_signature(_checkpoint_pair(db), cp)
    result = await verify(db)
    if not result.ok:
        return result
    if result.entries < cp.seq:
        return Verification(
            result.entries,
            result.head,
            result.entries + 1,
            "is missing: the log was cut short before the checkpoint",
        )
    if cp.seq == 0:
        return result
    rows = await audit_store.entries(db, cp.seq - 1, 1)
    if not rows or not envelope.secret_equal(rows[0].hash, cp.hash):
        return Verification(
            result.entries, result.head, cp.seq, "differs from the checkpoint: the log was rewritten"
        )
    return result
