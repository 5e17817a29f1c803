"""The reporter's side after submitting: check back with the receipt, read replies, follow up.

The reporter's side of attachments: the files in the unit's replies, opened with the receipt key.

Security: only files on the unit's replies carry a key sealed to the reporter; what the
reporter sent is never offered back (the thread shows as little as possible to someone
who forces a reporter to hand over a receipt), and a file id of any other report, or of
the reporter's own uploads, is not found.

A reporter deletes their own report from check-back; the unit keeps only that it happened.
A report taken by phone is never deleted online: the call handler who typed it in also
heard its receipt, and could otherwise delete a caller's evidence later, unaudited. From
the reporter site such a report gets a withdrawal request the unit sees in the thread.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Literal

from dropbox_server import envelope
from dropbox_server.custody import certify
from dropbox_server.files.disk import FileDir
from dropbox_server.files.download import FileNotFound, OpenedFile, open_file
from dropbox_server.files.upload import Recipients, UploadBatch
from dropbox_server.kdf import ReceiptContext
from dropbox_server.reports.authenticity import (
    Authenticity,
    check_reply,
    follow_up_authenticator,
    follow_up_files_part,
    reply_files_part,
)
from dropbox_server.reports.content import item_context
from dropbox_server.reports.retention import remove_ciphertext
from dropbox_server.reports.thread_gaps import gaps_before, missing_positions
from dropbox_server.store import Database, ItemRow, NewItem, ReportRow
from dropbox_server.store import files as file_store
from dropbox_server.store import packages as package_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import retention as retention_store
from dropbox_server.store.files import FileRow
from receipt_codes import Receipt, derive_reporter_secrets


@dataclass(frozen=True, repr=False)
class ReporterAccess:
    """What an open reporter session holds: which report, and the reporter's key pair.

    Security: the report is named by its stable random id, never by a row number, and every
    use case re-reads the row with the reporter's public key (`reporter_report`), so a
    session can only ever reach the report its receipt opened.
    """

    report_id: str
    reporter_public_key: bytes
    private_key: bytes

    def __repr__(self) -> str:
        return "ReporterAccess(<redacted>)"


@dataclass(frozen=True)
class ThreadEntry:
    """One line of the thread as the reporter sees it."""

    kind: str  # "sent" (the reporter's own, shown without content) or "reply"
    day: str
    text: str
    files: tuple[ReplyFile, ...] = ()
    # For a reply: "verified" (signed by a unit that held the report), "before_signing"
    # (stored before replies were signed) or "failed" (the page warns: maybe not the unit's).
    authenticity: Authenticity = "verified"
    number: int = 0  # the reporter's own: 1 is the report, 2 their first follow-up, ...
    files_sent: int = 0  # the reporter's own: how many files went with it (not which)
    gap_before: bool = False  # an item is missing just before this one (reports/thread_gaps.py)


@dataclass(frozen=True)
class ReporterThread:
    report: ReportRow
    entries: tuple[ThreadEntry, ...]
    desk_status: str | None = None  # received, passed or closed for a report at the desk


async def desk_status(db: Database, report: ReportRow) -> str | None:
    """What a reporter at the desk is told: received, passed (to the police) or closed.

    Security (invariant 11): nothing says "investigation" or names an outcome, so a receipt
    taken from a reporter by force tells the holder nothing they could act on.
    """
    if report.desk_state is None:
        return None
    if report.desk_state == "closed":
        return "closed"
    return "passed" if await package_store.passed_to_police(db, report.seq) else "received"


async def open_with_receipt(db: Database, ctx: ReceiptContext, receipt: Receipt) -> ReporterAccess | None:
    """Derive from the receipt (one argon2id run, always) and find its report, if any.

    Security: right and wrong receipts cost the same argon2id run; the only difference
    afterwards is one indexed lookup, so timing does not tell them apart.
    """
    derived = await ctx.runner.run(derive_reporter_secrets, receipt, ctx.pepper, ctx.kdf)
    report = await report_store.find_by_lookup_id(db, derived.lookup_id)
    pair = envelope.keypair_from_seed(derived.key_seed)
    if report is None or not envelope.secret_equal(pair.public, report.reporter_public_key or b""):
        return None
    return ReporterAccess(report_id=report.id, reporter_public_key=pair.public, private_key=pair.private)


async def reporter_report(db: Database, access: ReporterAccess) -> ReportRow | None:
    """The session's report, or None once it is gone or no longer this reporter's."""
    return await report_store.get_reporter_report(db, access.report_id, access.reporter_public_key)


async def reporter_thread(
    db: Database, access: ReporterAccess, disk: FileDir | None = None
) -> ReporterThread | None:
    """The thread as the reporter sees it; None if the report no longer exists.

    The reporter's own report and follow-ups are listed as sent, without their content:
    someone who forces a reporter to hand over a receipt learns as little as possible.
    Replies from the unit are opened with the reporter's private key, with their files
    (listed when `disk` is given).
    """
    report = await reporter_report(db, access)
    if report is None:
        return None
    files = {}
    if disk is not None:
        files = await reply_files(db, disk, report.id, report.seq, access.private_key)
    all_files = await file_store.files_of_report(db, report.seq)
    sent_files = Counter(f.item_id for f in all_files)
    signed_files: dict[int, list[FileRow]] = {}
    for row in all_files:
        if row.item_kind == REPLY_KIND:
            signed_files.setdefault(row.item_id, []).append(row)
    entries, number, shown = [], 0, []
    for item in await report_store.items(db, report.seq, ("report", "reporter_message", "unit_reply")):
        if item.kind == "unit_reply" and item.key_for_reporter is not None:
            text, status = await _open_reply(db, access, report, item, signed_files.get(item.id, []))
            entries.append(ThreadEntry("reply", item.created_day, text, files.get(item.id, ()), status))
        elif item.kind in ("report", "reporter_message"):
            number += 1
            entries.append(
                ThreadEntry("sent", item.created_day, "", number=number, files_sent=sent_files[item.id])
            )
        else:
            continue
        shown.append(item.n)
    positions = await report_store.item_positions(db, report.seq)
    gaps = gaps_before(shown, missing_positions(positions, report.contact_scope != "none"))
    entries = [replace(e, gap_before=True) if n in gaps else e for e, n in zip(entries, shown, strict=True)]
    return ReporterThread(report=report, entries=tuple(entries), desk_status=await desk_status(db, report))


async def _open_reply(
    db: Database, access: ReporterAccess, report: ReportRow, item: ItemRow, files: list[FileRow]
) -> tuple[str, Authenticity]:
    """A reply's text and whether the unit's signature holds over it and its files.

    Security: a reply that does not open with the receipt key is shown as failed, with no
    text, rather than breaking the page: someone who can write the database must not be
    able to lock a reporter out of their own thread.
    """
    try:
        key = envelope.unseal(access.private_key, item.key_for_reporter or b"")
        raw = envelope.decrypt(key, item.ciphertext, item_context(report.id, item.kind))
        text = raw.decode("utf-8")
    except (envelope.EnvelopeError, UnicodeDecodeError):
        return "", "failed"
    status = await check_reply(db, report.seq, report.id, item, raw, reply_files_part(files))
    return text, status


async def follow_up_recipients(db: Database, report: ReportRow) -> Recipients:
    """Who a follow-up's files are sealed to: the report key, once its certificate holds."""
    return Recipients(report.id, await certify.report_public(db, report, side="reporter"))


async def reporter_follow_up(
    db: Database, access: ReporterAccess, text: str, day: str, attachments: UploadBatch | None = None
) -> None:
    """Add a follow-up message (and any files) from the reporter, readable only by the unit.

    Security: the files are moved into place just before the commit that names them, so
    "sent" is shown only once message and files are all durable.
    """
    report = await reporter_report(db, access)
    if report is None:
        raise LookupError("report no longer exists")
    await certify.report_public(db, report, side="reporter")
    if attachments is None or attachments.count == 0:
        await report_store.add_item(db, report.seq, follow_up_item(access, report, text, day), day)
        return
    files = await attachments.make_durable()
    item = follow_up_item(access, report, text, day, follow_up_files_part(files))
    await file_store.add_item_with_files(db, report.seq, item, day, files)
    attachments.committed()


def follow_up_item(
    access: ReporterAccess, report: ReportRow, text: str, day: str, files: list[bytes] | None = None
) -> NewItem:
    """A message from the reporter: sealed to the report key, authenticated with the receipt key.

    Security: the Box from the receipt's key pair (authenticity.authenticate_follow_up) is
    what someone who can only write the database cannot make; the unit's view checks it.
    Used for the reporter's own follow-ups and for what a call handler types in for a caller
    (who holds the receipt on the phone path).
    """
    raw = text.encode("utf-8")
    blob, key, _ = envelope.seal_new_item(
        report.report_public_key, raw, item_context(report.id, "reporter_message")
    )
    tag = follow_up_authenticator(
        access.private_key, report.report_public_key, report.id, day, raw, files or []
    )
    return NewItem(kind="reporter_message", ciphertext=blob, key_for_unit=key, authenticate_at=tag)


REPLY_KIND = "unit_reply"


@dataclass(frozen=True)
class ReplyFile:
    """An attachment as the reporter's thread lists it."""

    id: str
    name: str
    size: int


async def reply_files(
    db: Database, disk: FileDir, report_id: str, seq: int, reporter_private: bytes
) -> dict[int, tuple[ReplyFile, ...]]:
    """The files of each unit reply (by item id), names opened with the reporter's key."""
    out: dict[int, list[ReplyFile]] = {}
    for row in await file_store.files_of_report(db, seq, (REPLY_KIND,)):
        if row.key_for_reporter is None:
            continue
        opened = open_file(disk, report_id, row, row.key_for_reporter, reporter_private)
        out.setdefault(row.item_id, []).append(ReplyFile(row.id, opened.meta.name, opened.meta.size))
    return {item_id: tuple(files) for item_id, files in out.items()}


async def reporter_file(
    db: Database, disk: FileDir, report_id: str, seq: int, reporter_private: bytes, file_id: str
) -> OpenedFile:
    """One file of a unit reply, for the reporter; raises FileNotFound for anything else."""
    row = await file_store.get_file(db, seq, file_id)
    if row is None or row.item_kind != REPLY_KIND or row.key_for_reporter is None:
        raise FileNotFound(file_id)
    if not await _reply_checks_out(db, report_id, seq, reporter_private, row.item_id):
        # Security: the page offers no download for a reply that fails its check; a link
        # typed in (say, one the planted message gives) is refused the same way.
        raise FileNotFound(file_id)
    return open_file(disk, report_id, row, row.key_for_reporter, reporter_private)


async def _reply_checks_out(
    db: Database, report_id: str, seq: int, reporter_private: bytes, item_id: int
) -> bool:
    """Whether the reply a file belongs to is signed by a unit that held the report (or predates signing)."""
    report = await report_store.get_report_by_seq(db, seq)
    item = next((i for i in await report_store.items(db, seq, (REPLY_KIND,)) if i.id == item_id), None)
    if report is None or item is None or report.id != report_id:
        return False
    files = [f for f in await file_store.files_of_report(db, seq, (REPLY_KIND,)) if f.item_id == item_id]
    public = report.reporter_public_key or b""
    access = ReporterAccess(report_id=report_id, reporter_public_key=public, private_key=reporter_private)
    _, status = await _open_reply(db, access, report, item, files)
    return status != "failed"


Withdrawal = Literal["withdrawn", "requested", "gone"]

# Stored (encrypted, like any message) in the unit's language of work; the unit reads it in
# the thread as a message from the reporter.
WITHDRAWAL_REQUEST = (
    "Withdrawal request: the reporter asked online for this report to be withdrawn. It was "
    "taken by phone, so it cannot be deleted online: the call handler also heard the receipt, "
    "so this request may not come from the caller. Decide what to do with your supervisor."
)


async def withdraw_report(db: Database, files: FileDir, access: ReporterAccess, day: str) -> Withdrawal:
    """Delete the report, its messages, replies and files; keep a record (id, unit, day).

    Afterwards the receipt opens nothing, exactly like one never issued (its lookup id is
    gone with the row). Statistics are monthly counters and do not change.
    A phone report is not deleted: the unit gets a withdrawal request ("requested").
    Security: not in the audit log. Nothing a reporter does is logged with a precise time
    (invariant 2); the record keeps the day only. Deletion is real: secure_delete, a WAL
    checkpoint that truncates old page images, and the ciphertext files unlinked.
    """
    report = await reporter_report(db, access)
    if report is None:
        return "gone"
    if report.channel == "phone":
        await _request_withdrawal(db, access, report, day)
        return "requested"
    record = retention_store.Withdrawn(report.id, report.unit_id, day)
    file_ids = await retention_store.withdraw(db, report.seq, record)
    if file_ids is None:
        return "gone"
    await remove_ciphertext(files, file_ids)
    await db.scrub_wal()
    return "withdrawn"


async def _request_withdrawal(db: Database, access: ReporterAccess, report: ReportRow, day: str) -> None:
    """A message from the reporter asking the unit to withdraw the report (shown as unread).

    Security: sealed to the report key like any reporter message; the report stays whole.
    """
    await certify.report_public(db, report, side="reporter")
    item = follow_up_item(access, report, WITHDRAWAL_REQUEST, day)
    await report_store.add_item(db, report.seq, item, day)


async def reporter_reply_file(
    db: Database, disk: FileDir, access: ReporterAccess, file_id: str
) -> OpenedFile:
    """One file of a unit reply on the session's report; FileNotFound for anything else."""
    report = await reporter_report(db, access)
    if report is None:
        raise FileNotFound(file_id)
    return await reporter_file(db, disk, report.id, report.seq, access.private_key, file_id)
