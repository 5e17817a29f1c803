"""Reports taken by phone: a call handler types in what the caller says.

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

from dropbox_server import envelope
from dropbox_server.reports.content import ContactDetails, ReportContent, item_context
from dropbox_server.reports.reporter_access import ReporterAccess, reporter_report
from dropbox_server.reports.submit import ReceiptContext, submit_report
from dropbox_server.store import Database, NewItem
from dropbox_server.store import stats as stats_store
from receipt_codes import Receipt

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
    blob, key, _ = envelope.seal_new_item(
        report.report_public_key, text.encode("utf-8"), item_context(report.id, "reporter_message")
    )
    item = NewItem(kind="reporter_message", ciphertext=blob, key_for_unit=key)
    await stats_store.add_counted_item(db, report.seq, report.unit_id, item, day, "phone_follow_up")
    return True
