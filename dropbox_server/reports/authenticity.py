"""Who wrote a message: replies signed by their unit, follow-ups authenticated with the receipt key.

A reply to the reporter carries an Ed25519 signature by the unit's signing key
(custody/signing.py) over the report, the reply's position in it, the day, the text and
each attached file; the reporter's page checks every reply and warns on any that fails.
A reporter's follow-up carries a Box from the receipt's key pair to the report key over
report, day, text and files; the unit's view marks any that fails. Someone who can only
write the database can seal a box to the reporter's or the report's public key, but cannot
make either of these.

Existing data: items stored before signing began (the per-report position the migration
recorded in `authenticity_began`) are shown as "sent before replies were signed":
unchecked, not forged. Reports stored later have no such line: all their items are checked.
Replies signed before the signature covered the position (authenticator format 1) still
verify over report, day, text and files, as before; but one standing after a reply in the
current format (2) fails, as no such reply can be written honestly any more (insider
finding F6). Follow-ups are bound to their position the same way (format 2, with the same
rule for the format-1 ones stored before). Known limit: among format-1 items alone, a copied
one is not told apart.

Limits (said plainly): a Box proves the follow-up was made with the receipt key or the
report key, so the unit holding the report key could make one itself; it guards against
third parties, not against the unit. An old report key (kept by a unit it was passed on
from) authenticates only items up to where that key was retired.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from dropbox_server import envelope
from dropbox_server.custody import certify
from dropbox_server.custody.signing import Signer, certified_signer
from dropbox_server.store import Database, ItemRow
from dropbox_server.store import reports as report_store
from dropbox_server.store.files import FileRow, NewFile

Authenticity = Literal["verified", "before_signing", "failed"]
REPLY_PURPOSE = b"tipdrop:v1:signed-reply"  # format 1: no position (replies stored before F6)
POSITIONED_REPLY_PURPOSE = b"tipdrop:v2:signed-reply"  # format 2: the reply's position too
REPLY_FORMAT_POSITIONED = 2
FOLLOW_UP_PURPOSE = b"tipdrop:v1:reporter-follow-up"  # format 1: no position (stored before)
POSITIONED_FOLLOW_UP_PURPOSE = b"tipdrop:v2:reporter-follow-up"  # format 2: its position too
FOLLOW_UP_FORMAT_POSITIONED = 2
REPORT_PURPOSE = b"tipdrop:v1:reporter-report"
# What the reporter's receipt key authenticates, by item kind. The report itself is
# authenticated too: it ties the stored reporter public key to the report, so swapping that
# key in the database (to make follow-ups "from the reporter") breaks the report's own check.
_REPORTER_PURPOSES = {"reporter_message": FOLLOW_UP_PURPOSE, "report": REPORT_PURPOSE}
_SIGNATURE_BYTES = 64


def _file_part(file_id: str, meta_ciphertext: bytes, sealed_key: bytes | None) -> bytes:
    return file_id.encode("ascii") + envelope.checksum(meta_ciphertext) + envelope.checksum(sealed_key or b"")


def reply_files_part(files: Sequence[NewFile] | Sequence[FileRow]) -> list[bytes]:
    """What of each reply file the signature covers: id, name/type ciphertext, reporter's key."""
    return [_file_part(f.id, f.meta_ciphertext, f.key_for_reporter) for f in files]


def follow_up_files_part(files: Sequence[NewFile] | Sequence[FileRow]) -> list[bytes]:
    """What of each follow-up file the authenticator covers: id, name/type ciphertext, unit's key."""
    return [_file_part(f.id, f.meta_ciphertext, f.key_for_unit) for f in files]


def _message(purpose: bytes, report_id: str, day: str, text: bytes, files: list[bytes]) -> bytes:
    return b"\x00".join(
        (purpose, report_id.encode("ascii"), day.encode("ascii"), envelope.checksum(text), *files)
    )


def _reply_message(report_id: str, n: int, day: str, text: bytes, files: list[bytes]) -> bytes:
    # The position is a field of its own, so no report id, day or text can stand in for it.
    return _message(POSITIONED_REPLY_PURPOSE, report_id, day, text, [str(n).encode("ascii"), *files])


def sign_reply(signer: Signer, report_id: str, n: int, day: str, text: bytes, files: list[bytes]) -> bytes:
    """The authenticator stored with a reply at position `n`: format, unit key id (8 bytes), signature."""
    signature = envelope.sign(signer.pair, _reply_message(report_id, n, day, text, files))
    return bytes([REPLY_FORMAT_POSITIONED]) + signer.unit_key_id.to_bytes(8, "big") + signature


def reply_signer(
    signer: Signer, report_id: str, day: str, text: bytes, files: list[bytes]
) -> Callable[[int], bytes]:
    """Signs a reply once the store gives it its position (inside the storing transaction)."""
    return lambda n: sign_reply(signer, report_id, n, day, text, files)


async def check_reply(
    db: Database, report_seq: int, report_id: str, item: ItemRow, text: bytes, files: list[bytes]
) -> Authenticity:
    """Whether a reply was signed by the unit that held this report when the reply was written.

    Security: the public key must carry a certificate made with the outside key, and its
    unit must be the one the report's certified custody (custody/certify.py) names for the
    reply's position: not any unit that ever held it, and nothing read from an uncertified row.
    The signature covers the position too (F6): a reply copied elsewhere in the thread fails.
    """
    blob = item.authenticator
    if blob is None:
        return await _unsigned(db, item)
    if len(blob) != 1 + 8 + _SIGNATURE_BYTES or blob[0] not in (envelope.VERSION, REPLY_FORMAT_POSITIONED):
        return "failed"
    found = await certified_signer(db, int.from_bytes(blob[1:9], "big"))
    held = await certify.custody(db, report_seq)
    if found is None or held is None or found[0] != held.holder_at(item.n):
        return "failed"
    if blob[0] == REPLY_FORMAT_POSITIONED:
        message = _reply_message(report_id, item.n, item.created_day, text, files)
    else:
        # Format 1 (stored before F6): as before, unless a format-2 item stands before it.
        if await _positioned_item_before(db, report_seq, item.n):
            return "failed"
        message = _message(REPLY_PURPOSE, report_id, item.created_day, text, files)
    return "verified" if envelope.signature_valid(found[1], message, blob[9:]) else "failed"


def authenticate_follow_up(
    reporter_private: bytes,
    report_public: bytes,
    report_id: str,
    day: str,
    text: bytes,
    files: list[bytes],
    kind: str = "reporter_message",
) -> bytes:
    """A follow-up's (or the report's) authenticator: a Box from the receipt's key pair to the report key."""
    message = _message(_REPORTER_PURPOSES[kind], report_id, day, text, files)
    return envelope.box_authenticator(reporter_private, report_public, message)


def _follow_up_message(report_id: str, n: int, day: str, text: bytes, files: list[bytes]) -> bytes:
    # As for replies: the position is a field of its own.
    return _message(POSITIONED_FOLLOW_UP_PURPOSE, report_id, day, text, [str(n).encode("ascii"), *files])


def follow_up_authenticator(
    reporter_private: bytes, report_public: bytes, report_id: str, day: str, text: bytes, files: list[bytes]
) -> Callable[[int], bytes]:
    """Authenticates a follow-up once the store gives it its position (format 2: format byte, Box).

    Security (the follow-up counterpart of F6): the Box covers the position, so a genuine
    follow-up copied elsewhere in the thread, or duplicated, fails.
    """
    return lambda n: bytes([FOLLOW_UP_FORMAT_POSITIONED]) + envelope.box_authenticator(
        reporter_private, report_public, _follow_up_message(report_id, n, day, text, files)
    )


async def check_follow_up(
    db: Database,
    report_key: bytes,
    reporter_public: bytes,
    report_id: str,
    item: ItemRow,
    text: bytes,
    files: list[bytes],
) -> Authenticity:
    """Whether a follow-up was made with the reporter's receipt key, over exactly this, here.

    `report_key` is the private key of the report key pair that opened the item. A follow-up
    in format 2 must stand at the position it was made for; one in format 1 (stored before
    positions were covered) still verifies, unless a format-2 follow-up stands before it:
    no such follow-up can be written honestly any more, so it was moved there.
    """
    blob = item.authenticator
    if blob is None:
        return await _unsigned(db, item)
    if item.kind == "reporter_message" and blob[:1] == bytes([FOLLOW_UP_FORMAT_POSITIONED]):
        message = _follow_up_message(report_id, item.n, item.created_day, text, files)
        blob = blob[1:]
    else:
        if item.kind == "reporter_message" and await _positioned_item_before(db, item.report_seq, item.n):
            return "failed"
        message = _message(_REPORTER_PURPOSES[item.kind], report_id, item.created_day, text, files)
    ok = envelope.box_authenticator_valid(report_key, reporter_public, message, blob)
    return "verified" if ok else "failed"


async def _positioned_item_before(db: Database, report_seq: int, n: int) -> bool:
    """Whether any reply or follow-up in format 2 stands before position `n`.

    Security (insider finding N4): once one item of EITHER kind is in format 2, no format-1
    item of any kind can follow it honestly, so a format-1 item found after one was moved
    there (e.g. the reporter's old words after the unit's new question). Any format-2 mark
    counts, even on an item that itself fails: a doubt shows as "failed".
    """
    earlier = await report_store.authenticators_before(db, report_seq, n, "unit_reply", "reporter_message")
    marks = (bytes([REPLY_FORMAT_POSITIONED]), bytes([FOLLOW_UP_FORMAT_POSITIONED]))
    return any(a[:1] in marks for a in earlier)


async def _unsigned(db: Database, item: ItemRow) -> Authenticity:
    """An item with no authenticator: honest only if it was stored before signing began.

    Security: where signing began, and the unsigned items before it, are covered by the
    report's certificate, so moving the line or an item below it shows as failed.
    """
    held = await certify.custody(db, item.report_seq)
    if held is None or not 0 < item.n < held.first_n:
        return "failed"
    return "before_signing" if await certify.below_line_intact(db, item.report_seq, held) else "failed"
