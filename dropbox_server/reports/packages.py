"""Intelligence packages: an analyst drafts, a second desk member approves, the force receives.

Every draft (a first version or an update) and every rejection reason is sealed to a draft
key pair of its own whose private half is sealed to the desk's key only, so no force key
ever opens a draft, a superseded version or a supervisor's reason, even from a copy of the
database and its WAL. Only approval (a desk supervisor who is not the author, with the
checklist ticked, on the version they reviewed) re-encrypts the approved text under the
package's key and seals that key to the receiving unit's CURRENT key, delivering it as a
case of channel 'package' in that unit's inbox, where outcomes, assignment, notes, passing
on and statistics work as for any case. The desk keeps its own copy of the package key, so
it reads the force's questions and sees where the package went.

Security (invariant 9): nothing of the reporter's is copied into a package automatically;
every field is what the analyst wrote, and contact details travel only when the reporter
agreed to be contacted by the force that investigates and the analyst chose to include them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dropbox_server import audit, envelope
from dropbox_server.custody import certify, directory
from dropbox_server.custody.keyring import DESK_ROLES, DESK_SUPERVISOR, UnlockedStaff
from dropbox_server.forces import DESK_ID
from dropbox_server.reports.access import Case, CaseNotFound, RoleNotAllowed, load_case, own_unit_keys
from dropbox_server.reports.casework import open_report
from dropbox_server.reports.content import ContactDetails, item_context
from dropbox_server.reports.package_content import PackageContent, package_from_form
from dropbox_server.reports.package_links import (
    Draft,
    audit_ref,
    desk_subject_key,
    draft_private,
    open_draft_link,
    package_tag,
    seal_link,
)
from dropbox_server.reports.submission import new_report_id
from dropbox_server.store import Database, NewItem, NewReport, ReportRow, units
from dropbox_server.store import packages as package_store
from dropbox_server.store import reports as report_store
from dropbox_server.store.files import NewFile
from dropbox_server.store.packages import DraftRow

CONTACT_FOR_FORCE = "investigating_force"
CHECKLIST = ("dates", "places", "relationships", "phrasing")
REJECTION = "package_rejection"
DRAFT = "package_draft"
MAX_REASON_CHARS = 2000


class PackageError(Exception):
    """The package action cannot be done; `code` names why for the page to explain."""

    def __init__(self, code: str, fields: dict[str, str] | None = None):
        super().__init__(code)
        self.code = code
        self.fields = fields or {}


@dataclass(frozen=True)
class OpenedDraft:
    draft: Draft
    content: PackageContent
    rejection: str  # the reason a supervisor sent it back, "" when none
    source: ReportRow


def require_desk(staff: UnlockedStaff) -> None:
    """Only desk analysts and supervisors work on packages."""
    if staff.staff.role not in DESK_ROLES:
        raise RoleNotAllowed(staff.staff.role)


async def desk_case(db: Database, staff: UnlockedStaff, report_id: str) -> Case:
    """A report that reached the desk, opened with the desk's keys."""
    require_desk(staff)
    case = await load_case(db, staff, report_id)
    if case.report.desk_state is None:
        raise CaseNotFound(report_id)
    return case


async def _desk_private(db: Database, staff: UnlockedStaff, draft: DraftRow) -> bytes:
    private = draft_private(await own_unit_keys(db, staff), draft)
    if private is None:
        raise CaseNotFound(str(draft.id))
    return private


def _seal_draft(draft_public: bytes, package_id: str, content: PackageContent) -> tuple[bytes, bytes]:
    """A draft's body, sealed to the draft's own (desk-only) key."""
    blob, key, _ = envelope.seal_new_item(draft_public, content.to_bytes(), item_context(package_id, DRAFT))
    return blob, key


async def _draft_keys(db: Database, staff: UnlockedStaff) -> tuple[envelope.KeyPair, int, bytes]:
    """A fresh draft key pair, its private half sealed to the desk's current key only.

    Security: no force unit key ever opens a draft or a rejection reason (H1); only
    approval re-encrypts the approved text for the receiving unit.
    """
    desk_key = await certify.current_unit_key(db, DESK_ID)
    if desk_key is None:
        raise RuntimeError("the desk has no key; the data directory is incomplete")
    pair = envelope.generate_keypair()
    return pair, desk_key.id, envelope.seal(desk_key.public_key, pair.private)


async def _receivable(db: Database, to_unit: str) -> bool:
    """Whether a package may go to the unit: on the desk's receiving list (not the desk).

    Security (insider finding V6): the list leaves out a unit failing its certificate or name
    checks (custody/unit_check.py); the use case keeps that too, so a page loaded before the
    change or a crafted form cannot send a package there.
    """
    return to_unit in {unit_id for unit_id, _name in await directory.receiving_units(db)}


async def _checked(db: Database, case: Case, to_unit: str, values: dict[str, str]) -> PackageContent:
    unit = await units.get_unit(db, to_unit)
    content, errors = package_from_form(values, to_unit)
    if unit is None or unit.kind == "desk" or not await _receivable(db, to_unit):
        errors["to_unit"] = "choose"
    # The hub and conflict rule is the desk's at this point: a package for the force whose
    # own professional standards unit is named needs the analyst to say so deliberately.
    # Security: the named force is read from the sealed report (no clear copy: M1).
    named = None
    if case.report.conflict:
        named = (await open_report(db, case.report, case.unit_keys)).content.force
    if named == to_unit and not content.conflict_override:
        errors["conflict_override"] = "needed"
    if errors:
        raise PackageError("invalid", errors)
    return content


async def create_draft(
    db: Database,
    staff: UnlockedStaff,
    report_id: str,
    to_unit: str,
    values: dict[str, str],
    include_contact: bool,
    day: str,
) -> int:
    """A new package draft from a desk report for one receiving unit; returns its id."""
    case = await desk_case(db, staff, report_id)
    content = await _checked(db, case, to_unit, values)
    pair, desk_key_id, key_for_desk = await _draft_keys(db, staff)
    package_id = new_report_id()
    body = _seal_draft(pair.public, package_id, content)
    certificate = certify.draft_certifier(db, pair.public)
    link = seal_link(pair.public, to_unit, package_id)
    draft = package_store.NewDraft(
        source_seq=case.report.seq,
        link_ciphertext=link[0],
        link_key=link[1],
        package_tag=package_tag(await desk_subject_key(db, staff, day), package_id),
        is_update=False,
        author_staff_id=staff.staff.id,
        public_key=pair.public,
        desk_key_id=desk_key_id,
        key_for_desk=key_for_desk,
        certificate=certificate,
        body_ciphertext=body[0],
        body_key=body[1],
        include_contact=include_contact and case.report.contact_scope == CONTACT_FOR_FORCE,
        day=day,
    )
    # Security: the audit names no receiving unit beside the desk report (M1).
    entry = audit.pending("package_drafted", staff=staff.staff, report_id=case.report.id)
    return await package_store.insert_draft(db, draft, entry)


async def create_update(
    db: Database,
    staff: UnlockedStaff,
    report_id: str,
    package_id: str,
    values: dict[str, str],
    include_contact: bool,
    day: str,
) -> int:
    """A draft that updates a delivered package; sealed to a desk-only draft key like any
    draft, and re-encrypted under the package's key only when a second member approves it."""
    case = await desk_case(db, staff, report_id)
    package = await report_store.get_report(db, package_id) if package_id.isalnum() else None
    tag = package_tag(await desk_subject_key(db, staff, day), package_id)
    if package is None or await package_store.source_of_package(db, tag, package.id) != case.report.seq:
        raise CaseNotFound(package_id)
    content = await _checked(db, case, package.unit_id, values)
    pair, desk_key_id, key_for_desk = await _draft_keys(db, staff)
    body = _seal_draft(pair.public, package.id, content)
    certificate = certify.draft_certifier(db, pair.public)
    link = seal_link(pair.public, package.unit_id, package.id)
    draft = package_store.NewDraft(
        source_seq=case.report.seq,
        link_ciphertext=link[0],
        link_key=link[1],
        package_tag=tag,
        is_update=True,
        author_staff_id=staff.staff.id,
        public_key=pair.public,
        desk_key_id=desk_key_id,
        key_for_desk=key_for_desk,
        certificate=certificate,
        body_ciphertext=body[0],
        body_key=body[1],
        include_contact=False,  # contact details, if any, went with the first version
        day=day,
    )
    # Security: the audit never names a package beside the desk report it came from (M2).
    entry = audit.pending("package_drafted", staff=staff.staff, report_id=case.report.id, detail="update")
    return await package_store.insert_draft(db, draft, entry)


async def _draft(db: Database, staff: UnlockedStaff, draft_id: int) -> tuple[Draft, ReportRow, bytes]:
    """(draft with its link opened, source report, the draft's private key)."""
    require_desk(staff)
    row = await package_store.get_draft(db, draft_id)
    source = await report_store.get_report_by_seq(db, row.source_seq) if row else None
    if row is None or source is None or source.unit_id != staff.staff.unit_id:
        raise CaseNotFound(str(draft_id))
    await certify.draft_public(db, row)  # a swapped draft key is refused before anything opens
    private = await _desk_private(db, staff, row)
    return await open_draft_link(db, private, row), source, private


async def open_draft(db: Database, staff: UnlockedStaff, draft_id: int) -> OpenedDraft:
    """A draft (or an approved version) decrypted for a desk member."""
    draft, source, private = await _draft(db, staff, draft_id)
    row = draft.row
    key = envelope.unseal(private, row.body_key)
    raw = envelope.decrypt(key, row.body_ciphertext, item_context(draft.package_id, DRAFT))
    rejection = ""
    if row.rejection_ciphertext is not None and row.rejection_key is not None:
        rkey = envelope.unseal(private, row.rejection_key)
        rejection = envelope.decrypt(
            rkey, row.rejection_ciphertext, item_context(draft.package_id, REJECTION)
        ).decode("utf-8")
    return OpenedDraft(draft, PackageContent.from_bytes(raw), rejection, source)


async def edit_draft(
    db: Database, staff: UnlockedStaff, draft_id: int, values: dict[str, str], include_contact: bool, day: str
) -> None:
    """Save changes to a draft; only its author, and only while it is a draft."""
    draft, source, _ = await _draft(db, staff, draft_id)
    if draft.author_staff_id != staff.staff.id:
        raise PackageError("not_author")
    if draft.state != "draft":
        raise PackageError("not_draft")
    case = await desk_case(db, staff, source.id)
    content = await _checked(db, case, draft.to_unit_id, values)
    body = _seal_draft(await certify.draft_public(db, draft.row), draft.package_id, content)
    keep_contact = include_contact and not draft.is_update and source.contact_scope == CONTACT_FOR_FORCE
    entry = audit.pending(
        "package_edited", staff=staff.staff, report_id=source.id, detail=f"draft={draft.id}"
    )
    if not await package_store.update_draft(db, draft.id, body, keep_contact, day, entry):
        raise PackageError("not_draft")
    await db.scrub_wal()  # Security: the superseded version's page images leave the WAL


async def submit_draft(db: Database, staff: UnlockedStaff, draft_id: int, day: str) -> None:
    """The author asks a second desk member to approve the draft."""
    draft, source, _ = await _draft(db, staff, draft_id)
    if draft.author_staff_id != staff.staff.id:
        raise PackageError("not_author")
    entry = audit.pending(
        "package_submitted", staff=staff.staff, report_id=source.id, detail=f"draft={draft.id}"
    )
    if not await package_store.submit_draft(db, draft.id, source.seq, day, entry):
        raise PackageError("not_draft")
    await db.scrub_wal()  # Security: a cleared rejection reason leaves the WAL


def _second_person(staff: UnlockedStaff, draft: Draft) -> None:
    if draft.author_staff_id == staff.staff.id:
        raise PackageError("own_draft")
    if staff.staff.role != DESK_SUPERVISOR:
        raise PackageError("not_supervisor")
    if draft.state != "submitted":
        raise PackageError("not_submitted")


async def reject_draft(db: Database, staff: UnlockedStaff, draft_id: int, reason: str, day: str) -> None:
    """A supervisor sends a submitted draft back to its author with a reason."""
    draft, source, _ = await _draft(db, staff, draft_id)
    _second_person(staff, draft)
    text = reason.replace("\r\n", "\n").strip()
    if not text:
        raise PackageError("reason_missing")
    if len(text) > MAX_REASON_CHARS:
        raise PackageError("reason_too_long")
    blob, key, _ = envelope.seal_new_item(
        await certify.draft_public(db, draft.row),
        text.encode("utf-8"),
        item_context(draft.package_id, REJECTION),
    )
    entry = audit.pending(
        "package_rejected", staff=staff.staff, report_id=source.id, detail=f"draft={draft.id}"
    )
    if not await package_store.reject_draft(db, draft.id, source.seq, (blob, key), day, entry):
        raise PackageError("not_submitted")


async def _contact_copy(
    db: Database, staff: UnlockedStaff, source: ReportRow, package_id: str
) -> tuple[envelope.KeyPair, NewItem] | None:
    """The reporter's contact details re-encrypted for the package, if they agreed."""
    if source.contact_scope != CONTACT_FOR_FORCE:
        return None
    opened = await open_report(db, source, await own_unit_keys(db, staff))
    if opened.contact is None:
        return None
    pair = envelope.generate_keypair()
    details = ContactDetails(opened.contact.how, opened.contact.when_safe, CONTACT_FOR_FORCE)
    blob, key, _ = envelope.seal_new_item(
        pair.public, details.to_bytes(), item_context(package_id, "contact")
    )
    return pair, NewItem(kind="contact", ciphertext=blob, key_for_unit=key)


def _package_body(
    package_public: bytes, package_id: str, content: PackageContent, author: int | None
) -> NewItem:
    """The approved text, re-encrypted under the package's key for the receiving unit."""
    context = item_context(package_id, "report")
    blob, key, _ = envelope.seal_new_item(package_public, content.to_bytes(), context)
    return NewItem(kind="report", ciphertext=blob, key_for_unit=key, author_staff_id=author)


async def package_key_for(db: Database, draft: Draft) -> tuple[envelope.KeyPair | None, bytes]:
    """The key the receiving unit will read an approved draft with: a fresh pair for a first
    package (returned, to be passed to approve_draft), or the delivered package's public key."""
    if not draft.is_update:
        pair = envelope.generate_keypair()
        return pair, pair.public
    delivered = await report_store.get_report_by_seq(db, draft.package_seq) if draft.package_seq else None
    if delivered is None:
        raise PackageError("not_submitted")
    return None, await certify.report_public(db, delivered)


async def approve_draft(
    db: Database,
    staff: UnlockedStaff,
    draft_id: int,
    ticked: set[str],
    version: int,
    day: str,
    files: Sequence[NewFile] = (),
    package_key: envelope.KeyPair | None = None,
) -> str:
    """A second desk member approves the version they reviewed: the approved text is
    re-encrypted under the package's key, which is sealed to the receiving unit's current
    key, and delivered with `files` (clean copies made by reports.package_files, sealed to
    the key package_key_for gave). Returns the package's case id.

    Security: two people (the schema refuses the author too); the checklist must be ticked;
    `version` is the draft version the approver's page showed, and a draft changed since
    (resubmitted with other text) is refused as "stale". The draft's own ciphertext stays
    desk-only.
    """
    opened = await open_draft(db, staff, draft_id)
    draft, source = opened.draft, opened.source
    _second_person(staff, draft)
    if draft.version != version:
        raise PackageError("stale")
    if not set(CHECKLIST) <= ticked:
        raise PackageError("checklist")
    if not await _receivable(db, draft.to_unit_id):  # it failed its checks since (V6)
        raise PackageError("bad_unit")
    new_case = None
    desk_grant = None
    update = None
    if not draft.is_update:
        receiver = await certify.current_unit_key(db, draft.to_unit_id)
        desk_key = await certify.current_unit_key(db, DESK_ID)
        if receiver is None or desk_key is None:
            raise PackageError("bad_unit")
        package = package_key or envelope.generate_keypair()
        body_item = _package_body(package.public, draft.package_id, opened.content, draft.author_staff_id)
        contact = await _contact_copy(db, staff, source, draft.package_id) if draft.include_contact else None
        items = (body_item,) + ((contact[1],) if contact else ())
        new_case = NewReport(
            id=draft.package_id,
            unit_id=draft.to_unit_id,
            channel="package",
            conduct=opened.content.conduct,
            conflict=False,
            contact_scope=CONTACT_FOR_FORCE if contact else "none",
            day=day,
            lookup_id=None,
            reporter_public_key=None,
            report_public_key=package.public,
            contact_public_key=contact[0].public if contact else None,
            unit_key_id=receiver.id,
            sealed_report_key=envelope.seal(receiver.public_key, package.private),
            sealed_contact_key=envelope.seal(receiver.public_key, contact[0].private) if contact else None,
            items=items,
            risk=opened.content.risk,
            certificate=certify.new_report_certifier(
                db, draft.package_id, draft.to_unit_id, package.public, None
            ),
        )
        desk_grant = (desk_key.id, envelope.seal(desk_key.public_key, package.private))
    else:
        delivered = await report_store.get_report_by_seq(db, draft.package_seq) if draft.package_seq else None
        if delivered is None:
            raise PackageError("not_submitted")
        update = _package_body(
            await certify.report_public(db, delivered),
            draft.package_id,
            opened.content,
            draft.author_staff_id,
        )
    approval = package_store.Approval(
        draft.id, staff.staff.id, day, version, new_case, desk_grant, update, opened.content.risk,
        tuple(files),
    )
    # Security: no package id (M2) nor receiving unit (M1) beside the source report; and not
    # the source report's id nor the draft's (its row names the source) either, since the
    # package's first entries follow this one (F5): a keyed reference the desk can compute.
    detail = audit_ref(await desk_subject_key(db, staff, day), source.id)
    entry = audit.pending("package_approved", staff=staff.staff, detail=detail)
    if await package_store.approve(db, draft.row, draft.package_seq, approval, entry) is None:
        raise PackageError("stale")
    await db.scrub_wal()  # Security: nothing superseded stays in the WAL once it leaves the desk
    return draft.package_id


@dataclass(frozen=True)
class AwaitingLine:
    draft_id: int
    source_id: str
    to_unit_id: str
    author_staff_id: int | None
    day: str


async def awaiting_approval(db: Database, staff: UnlockedStaff) -> list[AwaitingLine]:
    """Submitted drafts, oldest first (clear metadata only)."""
    require_desk(staff)
    keys = await own_unit_keys(db, staff)
    out = []
    for d in await package_store.awaiting_approval(db):
        source = await report_store.get_report_by_seq(db, d.source_seq)
        private = draft_private(keys, d)
        if source is not None and source.unit_id == staff.staff.unit_id and private is not None:
            draft = await open_draft_link(db, private, d)
            out.append(AwaitingLine(d.id, source.id, draft.to_unit_id, d.author_staff_id, d.updated_day))
    return out
