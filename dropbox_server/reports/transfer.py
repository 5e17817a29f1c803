"""Passing a report to another force's unit: re-seal its keys, leave the sender a record only.

Contact details decision: they travel with the report only when the reporter chose
`investigating_force` ("whichever force investigates"). When the reporter chose `unit`
("only the unit I am reporting to"), the contact grant AND the contact item are deleted on
transfer. Keeping them for the sending unit would leave a reporter's identity with a unit
that no longer handles the report and has no reason to contact them, against the narrower
consent they gave; re-sealing them to the receiver would break that consent. Nobody keeps
them; the receiving unit can still reach the reporter through replies to the receipt.

Conflict of interest: a report whose reporter said the subject works in their own force's
professional standards unit was routed to the national hub. Passing it to that force's unit
needs an explicit override; the force is read from the decrypted report, not from the clear
`conflict` flag alone.

The sending unit's read-only record of the reports it passed to other units.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server import audit, envelope
from dropbox_server.custody import certify
from dropbox_server.custody.keyring import UnlockedStaff
from dropbox_server.forces import DESK_ID
from dropbox_server.reports.access import Case, load_case, own_unit_keys, require_reader
from dropbox_server.reports.case_actions import OutcomeError, check_reason
from dropbox_server.reports.case_file import OUTCOME_REASON, TRANSFER_REASON
from dropbox_server.reports.casework import OpenedReport, open_report, open_report_key
from dropbox_server.reports.content import ReportContent, item_context
from dropbox_server.reports.unit_choices import pass_on_ids
from dropbox_server.store import Database, ReportRow, units
from dropbox_server.store import files as file_store
from dropbox_server.store import retention as retention_store
from dropbox_server.store import transfers as transfer_store
from dropbox_server.store.retention import Withdrawn

CONTACT_TRAVELS = "investigating_force"


@dataclass(frozen=True)
class TransferRequest:
    report_id: str
    to_unit_id: str
    reason: str
    conflict_override: bool
    seen_outcome: str


def conflicted_unit(content: ReportContent) -> str | None:
    """The unit the reporter said is conflicted (the subject's own force's unit), if any."""
    return content.force if content.conflict else None


async def _reason_blobs(
    case: Case, report_public: bytes, sender_public: bytes, text: str
) -> tuple[bytes, bytes, bytes]:
    """The transfer reason once, its key sealed to the (new) report key and to the sending unit."""
    blob, for_report, item_key = envelope.seal_new_item(
        report_public, text.encode("utf-8"), item_context(case.report.id, TRANSFER_REASON)
    )
    return blob, for_report, envelope.seal(sender_public, item_key)


async def _contact_grant(db: Database, case: Case, receiver_public: bytes) -> bytes | None:
    if case.report.contact_scope != CONTACT_TRAVELS:
        return None
    contact_key = await open_report_key(db, case.report, case.unit_keys, "contact")
    return envelope.seal(receiver_public, contact_key) if contact_key is not None else None


async def _desk_grants(db: Database, report: ReportRow, new_private: bytes) -> tuple[tuple[int, bytes], ...]:
    """A package's new key sealed to each desk key that held the old one (none for a report).

    Security: the desk made the package and relays for it, so it keeps reading it; a new
    grant, not the old one, because the old key opens nothing added after the hand-over.
    """
    if not report.is_package:
        return ()
    grants = []
    for key_id, public in await transfer_store.desk_grant_keys(db, report.seq):
        certified = await certify.checked_key(db, key_id, DESK_ID, public)
        grants.append((key_id, envelope.seal(certified, new_private)))
    return tuple(grants)


async def _check(db: Database, case: Case, req: TransferRequest) -> OpenedReport:
    report: ReportRow = case.report
    if req.seen_outcome != report.outcome:
        raise OutcomeError("changed_meanwhile")
    if req.to_unit_id not in await pass_on_ids(db, report.unit_id):
        raise OutcomeError("bad_unit")  # itself, unknown, retired or the desk
    opened = await open_report(db, report, case.unit_keys)
    if conflicted_unit(opened.content) == req.to_unit_id and not req.conflict_override:
        raise OutcomeError("conflict_override_needed")
    return opened


@dataclass(frozen=True)
class TransferPreview:
    """What passing on would move, shown for confirmation before anything moves."""

    request: TransferRequest
    reason: str
    is_package: bool
    messages: int  # messages in the thread (replies, notes, the reporter's follow-ups)
    files: int
    contact_travels: bool


async def preview_transfer(db: Database, staff: UnlockedStaff, req: TransferRequest) -> TransferPreview:
    """Every check `transfer_report` makes, and what would travel; nothing is changed.

    Raises OutcomeError with the same codes as `transfer_report`.
    """
    case = await load_case(db, staff, req.report_id)
    if case.report.desk_state is not None:
        raise OutcomeError("desk_report")
    text = check_reason(req.reason)
    opened = await _check(db, case, req)
    if await units.current_unit_key(db, req.to_unit_id) is None:
        raise OutcomeError("bad_unit")
    return TransferPreview(
        request=req,
        reason=text,
        is_package=case.report.is_package,
        messages=len(opened.messages),
        files=len(await file_store.files_of_report(db, case.report.seq)),
        contact_travels=opened.contact is not None and case.report.contact_scope == CONTACT_TRAVELS,
    )


async def transfer_report(db: Database, staff: UnlockedStaff, req: TransferRequest, day: str) -> None:
    """Pass a report of the caller's unit to another unit, in one transaction.

    Security: the report gets a new key pair sealed only to the receiving unit's current
    key; the old private key is sealed to the new pair (so the receiver reads everything
    before) and every earlier grant is deleted. Whatever is added later is sealed to the new
    key, so the sender's copy of the old key (or an old database copy and a member's
    password) opens nothing that follows. The sender keeps a record (receiving unit, day,
    the reason sealed to its own key).
    """
    case = await load_case(db, staff, req.report_id)
    if case.report.desk_state is not None:
        # Security (invariant 9): a report at the desk never goes to a force; packages do.
        raise OutcomeError("desk_report")
    text = check_reason(req.reason)
    await _check(db, case, req)
    receiver = await certify.current_unit_key(db, req.to_unit_id)
    sender = await certify.current_unit_key(db, case.report.unit_id)
    if receiver is None or sender is None:
        raise OutcomeError("bad_unit")
    new_pair = envelope.generate_keypair()
    handing = await certify.hand_over(db, case.report, req.to_unit_id, new_pair.public)
    blob, for_report, for_sender = await _reason_blobs(case, new_pair.public, sender.public_key, text)
    history_blob, history_key, _ = envelope.seal_new_item(
        new_pair.public, text.encode("utf-8"), item_context(case.report.id, OUTCOME_REASON)
    )
    record = transfer_store.NewTransfer(
        report_seq=case.report.seq,
        from_unit_id=case.report.unit_id,
        to_unit_id=req.to_unit_id,
        previous_outcome=case.report.outcome,
        day=day,
        staff_id=staff.staff.id,
        conflict_override=req.conflict_override,
        receiver_key_id=receiver.id,
        content_grant=envelope.seal(receiver.public_key, new_pair.private),
        contact_grant=await _contact_grant(db, case, receiver.public_key),
        sender_unit_key_id=sender.id,
        reason_ciphertext=blob,
        reason_key_for_report=for_report,
        reason_key_for_sender=for_sender,
        history_reason_ciphertext=history_blob,
        history_reason_key=history_key,
        rotation=(
            case.report.report_public_key,
            envelope.seal(new_pair.public, case.report_key),
            new_pair.public,
        ),
        desk_grants=await _desk_grants(db, case.report, new_pair.private),
        certificates=handing.certificates,
    )
    detail = f"to={req.to_unit_id}" + (" conflict-override" if req.conflict_override else "")
    entry = audit.pending("transfer", staff=staff.staff, report_id=case.report.id, detail=detail)
    if not await transfer_store.transfer(db, record, entry):
        raise OutcomeError("changed_meanwhile")


@dataclass(frozen=True)
class PassedOn:
    report_id: str
    to_unit_id: str
    day: str
    reason: str  # "" if the unit key it was sealed to is no longer held
    contact_passed: bool
    conflict_override: bool


async def passed_on(db: Database, staff: UnlockedStaff) -> tuple[PassedOn, ...]:
    """What the caller's unit passed on: where, when and why, and nothing of the report itself.

    Security: the reason's item key was sealed to the sending unit's key; it opens only
    the reason. The report's own keys were re-sealed away, so nothing else opens.
    """
    require_reader(staff)
    keys = await own_unit_keys(db, staff)
    out = []
    for t in await transfer_store.transfers_from(db, staff.staff.unit_id):
        reason = ""
        private = keys.get(t.sender_unit_key_id)
        if private is not None:
            item_key = envelope.unseal(private, t.reason_key_for_sender)
            raw = envelope.decrypt(item_key, t.reason_ciphertext, item_context(t.report_id, TRANSFER_REASON))
            reason = raw.decode("utf-8")
        out.append(PassedOn(t.report_id, t.to_unit_id, t.day, reason, t.contact_passed, t.conflict_override))
    return tuple(out)


async def withdrawn(db: Database, staff: UnlockedStaff) -> list[Withdrawn]:
    """The unit's record of reports their reporters deleted: id and day, nothing else."""
    require_reader(staff)
    return await retention_store.withdrawn_for_unit(db, staff.staff.unit_id)
