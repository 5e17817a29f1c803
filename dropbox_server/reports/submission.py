"""Submitting a report, online or by phone: route it, encrypt every part, commit durably,
return the receipt.

Reports taken by phone: a call handler types in what the caller says.

Audit decision: nothing a call handler does for a caller is written to the audit log —
not taking a report, not opening a caller's receipt, not adding a follow-up. The audit log
records staff actions with a precise time and the staff member's name; an entry "handler X
took report R at 14:32:05" (or even "handler X took a phone report today") would tie a
named person and a call time to a report. Telephone systems keep caller numbers and call
times, so that entry plus a phone bill identifies the caller: exactly what invariant 2
forbids. The report itself keeps only the day and the channel, like an online one.

What bounds a call handler instead: they hold no unit key, so they can never open a report
by id or browse; a caller's receipt (90 bits, checked once through the same global-throttled
argon2id run as online) opens only that caller's replies for one short, single-use window;
their sign-ins and sign-outs are audited as for all staff.

Security: no caller number, name or any handler-side identifier of the caller is stored;
the only record of the call is the encrypted report (or follow-up) and a monthly count.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from dropbox_server import envelope
from dropbox_server.custody import certify
from dropbox_server.files.upload import UploadBatch
from dropbox_server.kdf import ReceiptContext
from dropbox_server.reports.authenticity import authenticate_follow_up
from dropbox_server.reports.content import ContactDetails, ReportContent, item_context
from dropbox_server.reports.reporter_access import ReporterAccess, follow_up_item, reporter_report
from dropbox_server.reports.routing import UNKNOWN_FORCE, route_direct, route_report
from dropbox_server.store import Database, NewItem, NewReport
from dropbox_server.store import files as file_store
from dropbox_server.store import reports as report_store
from dropbox_server.store import stats as stats_store
from dropbox_server.store import unit_admin as unit_admin_store
from receipt_codes import Receipt, derive_reporter_secrets, generate_receipt

__all__ = [
    "PHONE",
    "UNKNOWN_FORCE",
    "ReportDraft",
    "new_draft",
    "phone_follow_up",
    "route",
    "submit_report",
    "take_phone_report",
]


def route(content: ReportContent, active: Collection[str] | None = None) -> str:
    """The unit a new report goes to under direct routing (see reports/routing.py)."""
    return route_direct(content, active)


class RouteUnavailable(Exception):
    """The unit a report routes to has no row (the database was altered): nothing was kept.

    The caller shows the sender a friendly "cannot accept this now" page (503); health's
    units check names the missing unit.
    """


def new_report_id() -> str:
    """A random public id: 80 bits, base32, no order or time in it."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


@dataclass(frozen=True, repr=False)
class ReportDraft:
    """A report's id and key pair, made before its form is read so files can be encrypted
    to it as they stream in."""

    id: str
    keys: envelope.KeyPair

    def __repr__(self) -> str:
        return f"ReportDraft({self.id})"


def new_draft() -> ReportDraft:
    return ReportDraft(id=new_report_id(), keys=envelope.generate_keypair())


async def submit_report(
    db: Database,
    ctx: ReceiptContext,
    content: ReportContent,
    contact: ContactDetails | None,
    channel: str,
    day: str,
    *,
    draft: ReportDraft | None = None,
    attachments: UploadBatch | None = None,
) -> Receipt:
    """Store a new report and return its receipt, only once the commit is durable.

    Security: the receipt is returned to be shown once and is never stored or logged;
    only its argon2id-derived lookup id and the reporter's public key are stored.
    Attachments (encrypted to `draft`'s key as they arrived) are moved into place just
    before the commit that names them, so the receipt means every file is durable too.
    """
    routed = await route_report(db, content)
    unit_id = routed.unit_id
    if not await unit_admin_store.unit_exists(db, unit_id):
        # Security (insider finding V3): a writer deleted the unit's row; health says so.
        raise RouteUnavailable("the unit this report goes to is missing; nothing was kept")
    unit_key = await certify.current_unit_key(db, unit_id)
    if unit_key is None:
        raise RuntimeError(f"unit {unit_id} has no key; the data directory is incomplete")
    receipt = generate_receipt(ctx.words)
    reporter_secrets = await ctx.runner.run(derive_reporter_secrets, receipt, ctx.pepper, ctx.kdf)
    reporter = envelope.keypair_from_seed(reporter_secrets.key_seed)
    draft = draft or new_draft()
    report_id, report_pair = draft.id, draft.keys
    raw = content.to_bytes()
    body, body_key, _ = envelope.seal_new_item(report_pair.public, raw, item_context(report_id, "report"))
    # Ties the stored reporter public key to this report (reports/authenticity.py).
    tag = authenticate_follow_up(reporter.private, report_pair.public, report_id, day, raw, [], "report")
    items = [NewItem(kind="report", ciphertext=body, key_for_unit=body_key, authenticator=tag)]
    contact_pair = None
    if contact is not None:
        contact_pair = envelope.generate_keypair()
        blob, key, _ = envelope.seal_new_item(
            contact_pair.public, contact.to_bytes(), item_context(report_id, "contact")
        )
        items.append(NewItem(kind="contact", ciphertext=blob, key_for_unit=key))
    new_report = NewReport(
        id=report_id,
        unit_id=unit_id,
        channel=channel,
        conduct=content.conduct,
        conflict=content.conflict,
        contact_scope=contact.scope if contact else "none",
        day=day,
        lookup_id=reporter_secrets.lookup_id,
        reporter_public_key=reporter.public,
        report_public_key=report_pair.public,
        contact_public_key=contact_pair.public if contact_pair else None,
        unit_key_id=unit_key.id,
        sealed_report_key=envelope.seal(unit_key.public_key, report_pair.private),
        sealed_contact_key=(
            envelope.seal(unit_key.public_key, contact_pair.private) if contact_pair else None
        ),
        items=tuple(items),
        desk_state=routed.desk_state,
        certificate=certify.new_report_certifier(db, report_id, unit_id, report_pair.public, reporter.public),
    )
    if attachments is None or attachments.count == 0:
        await report_store.insert_report(db, new_report)
    else:
        files = await attachments.make_durable()
        await file_store.insert_report_with_files(db, new_report, files)
        attachments.committed()
    return receipt


PHONE = "phone"


async def take_phone_report(
    db: Database, ctx: ReceiptContext, content: ReportContent, contact: ContactDetails | None, day: str
) -> Receipt:
    """Store a report taken by phone, routed exactly as an online one, and return its receipt.

    Security: the receipt is returned to be read out once and is never stored or logged.
    """
    return await submit_report(db, ctx, content, contact, PHONE, day)


async def phone_follow_up(db: Database, access: ReporterAccess, text: str, day: str) -> bool:
    """Add what a caller says to their report, counting the call; False if it is gone.

    Security: sealed to the report key like a reporter's own follow-up, so the handler who
    typed it cannot read it back, and counted in the same transaction.
    """
    report = await reporter_report(db, access)
    if report is None:
        return False
    await certify.report_public(db, report, side="reporter")
    item = follow_up_item(access, report, text, day)
    await stats_store.add_counted_item(db, report.seq, report.unit_id, item, day, "phone_follow_up")
    return True
