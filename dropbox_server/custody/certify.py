"""Certificates of the public keys the server seals to, made and checked in this one place.

Every public key a secret is sealed to -- the custodian's, each unit key, each staff key,
each report key (with the reporter's key, the unit holding the report, where signing began
and its custody history) -- carries a MAC under a key derived from the outside seed
(`audit.key`, beside the pepper, mode 0600, never in the database) that binds the key to its
row's identity. Every path that seals to one of them checks first; a failed check refuses
the action loudly: a clear error, a `key_check_failed` audit entry, and the health page.

Security: whoever can write the database but cannot read `audit.key` cannot make a
certificate, so cannot have a new report or unit key sealed to a key of their own, nor move
where signing began, nor rewrite which unit held a report when a reply was written. Whoever
can also read `audit.key` is root on the server for this purpose (README, custody table).
The custodian public key is pinned too, in a file beside the database written at `init`.
Rows stored before certificates existed get them once, at the first start after the upgrade
(`certify_upgrade`): that start is the trust point.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from dropbox_server import audit, envelope
from dropbox_server.custody import revoked
from dropbox_server.datadir import DataDirError, replace_file
from dropbox_server.store import Database, units
from dropbox_server.store import certificates as cert_store
from dropbox_server.store import subjects as subject_store
from dropbox_server.store import unit_admin as unit_store
from dropbox_server.store.certificates import BelowLineItem, HistoryRow, ReportBinding
from dropbox_server.store.packages import DraftRow
from dropbox_server.store.records import ReportRow, StaffRow, UnitFacts, UnitKeyRow
from dropbox_server.store.subjects import SubjectKeyRow

PURPOSE = b"tipdrop:v1:key-certificates"
PIN_NAME = "custodian.pub"
# Written by a restore whose database copy's schema is from before certificates (0013): the
# only directory `certify_restored` will certify. A database writer cannot write it.
RESTORED_OLD_NAME = "restored-before-certificates"
# Written with the first unit certificate (insider finding U2): from then on units are never
# certified as found again, whatever the database says (a writer cannot remove the file).
UNITS_CERTIFIED_NAME = "units.certified"
# Written by a restore whose copy's schema is from before unit certificates (0021): its units
# are certified only by `certify_restored` (K shares), never as found (insider finding V2).
RESTORED_OLD_UNITS_NAME = "restored-before-unit-certificates"
CHECKER = "server (key check)"
_log = logging.getLogger("tipdrop")
Field = bytes | str | int | None


class UncertifiedKey(Exception):
    """A key the server was about to seal to fails its certificate; nothing was sealed."""


def _mac(seed: bytes, kind: str, *fields: Field) -> bytes:
    parts = [kind.encode("ascii")]
    for f in fields:
        if f is None:
            parts.append(b"-")
        elif isinstance(f, int):
            parts.append(b"i" + f.to_bytes(8, "big", signed=True))
        elif isinstance(f, str):
            parts.append(b"s" + f.encode("utf-8"))
        else:
            parts.append(b"b" + f)
    message = b"".join(len(p).to_bytes(4, "big") + p for p in parts)
    return envelope.keyed_digest(envelope.derive_key(seed, PURPOSE), message, b"tipdrop:v1:cert")


def custodian_certificate(seed: bytes, public: bytes) -> bytes:
    return _mac(seed, "custodian", public)


def unit_key_certificate(seed: bytes, key_id: int, unit_id: str, public: bytes) -> bytes:
    return _mac(seed, "unit-key", key_id, unit_id, public)


def unit_certificate(seed: bytes, unit_id: str, name: str, kind: str, retired_day: str | None) -> bytes:
    """Covers what a list of forces shows and routes by: a unit's id, name, kind and retirement."""
    return _mac(seed, "unit", unit_id, name, kind, retired_day)


def staff_certificate(seed: bytes, staff_id: int, unit_id: str, role: str, public: bytes) -> bytes:
    return _mac(seed, "staff-key", staff_id, unit_id, role, public)


def draft_certificate(seed: bytes, draft_id: int, public: bytes) -> bytes:
    # Not the package id: since migration 0015 it is sealed to this very key (M2).
    return _mac(seed, "package-draft", draft_id, public)


def subject_key_certificate(seed: bytes, subject_key_id: int, unit_id: str, key: bytes) -> bytes:
    # A digest of the (secret) key, not the key: the certificate sits in the database.
    return _mac(seed, "subject-key", subject_key_id, unit_id, envelope.checksum(key))


def subject_grants_certificate(
    seed: bytes, subject_key_id: int, unit_id: str, grants: dict[int, bytes]
) -> bytes:
    """Covers every sealed copy of a subject key made before 0016 (the upgrade cannot open it)."""
    parts = b"".join(
        unit_key_id.to_bytes(8, "big") + envelope.checksum(sealed)
        for unit_key_id, sealed in sorted(grants.items())
    )
    return _mac(seed, "subject-key-grants", subject_key_id, unit_id, envelope.checksum(parts))


def history_certificate(seed: bytes, seq: int, row: HistoryRow) -> bytes:
    return _mac(seed, "report-history", seq, row.generation, row.public_key, row.last_n, row.unit_id)


def report_certificate(seed: bytes, b: ReportBinding) -> bytes:
    """Covers the report key, its holder, the reporter's key, the signing line and the history's length."""
    return _mac(
        seed, "report", b.seq, b.report_id, b.unit_id, b.report_public_key, b.reporter_public_key,
        b.first_n, b.below_line, len(b.history),
    )


def below_line_digest(items: Sequence[BelowLineItem]) -> bytes:
    """A digest of the unsigned items before the signing line: moving, editing or adding one changes it."""
    parts = []
    for i in items:
        for part in (str(i.id).encode(), str(i.n).encode(), i.kind.encode(), i.created_day.encode(),
                     envelope.checksum(i.ciphertext), envelope.checksum(i.key_for_unit),
                     envelope.checksum(i.key_for_reporter or b"")):
            parts.append(len(part).to_bytes(4, "big") + part)
    return envelope.checksum(b"".join(parts))


def pin_path(db: Database) -> Path:
    return db.path.parent / PIN_NAME


def write_pin(db: Database, public: bytes) -> None:
    """Pin the custodian public key in the data directory (at init, upgrade and reshare)."""
    write_pin_in(db.path.parent, public)


def write_pin_in(data_dir: Path, public: bytes) -> None:
    replace_file(data_dir / PIN_NAME, public.hex().encode("ascii") + b"\n")


def mark_restored_before_certificates(data_dir: Path) -> None:
    """Mark a directory restored from a copy whose schema predates certificates."""
    replace_file(data_dir / RESTORED_OLD_NAME, b"restored from a copy older than certificates\n")


def read_pin(path: Path) -> bytes | None:
    try:
        return bytes.fromhex(path.read_text("ascii").strip())
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return None


def _seed(db: Database) -> bytes:
    if db.audit_seed is None:
        raise UncertifiedKey("the outside key (audit.key) is missing: no key can be checked; nothing sealed")
    return db.audit_seed


def matches(found: bytes | None, expected: bytes) -> bool:
    """Whether a stored certificate (or pinned key) is the expected one; a missing one never is."""
    return found is not None and envelope.secret_equal(found, expected)


_same = matches


def binding_holds(seed: bytes, b: ReportBinding) -> bool:
    """Whether a report's certificate and each of its history rows' certificates hold."""
    return matches(b.certificate, report_certificate(seed, b)) and all(
        matches(h.certificate, history_certificate(seed, b.seq, h)) for h in b.history
    )


async def _refuse(db: Database, what: str, detail: str) -> NoReturn:
    await audit.record(db, audit.pending("key_check_failed", username=CHECKER, detail=detail))
    # Security (insider finding U6): the refusal is the newest entry; a writer who cut it off
    # the tail would clear the alarm without K shares. The checkpoint kept beside the database
    # now reaches it, so a cut turns the audit chain check red instead.
    await audit.keep_checkpoint(db)
    raise UncertifiedKey(
        f"{what} fails its certificate: the database may have been altered. Nothing was sealed "
        "to it; see `python run.py status` and the audit log (key_check_failed)"
    )


# Making certificates as keys are stored.


async def certify_custodian(db: Database, public: bytes) -> None:
    """Certify and pin a new custodian public key (init, split, reshare)."""
    if not await cert_store.set_custodian_certificate(db, public, custodian_certificate(_seed(db), public)):
        raise UncertifiedKey("the custodian key changed while it was being certified")
    write_pin(db, public)


async def certify_unit_key(db: Database, key_id: int, unit_id: str, public: bytes) -> None:
    """Certify a unit key the caller has just made (the values it made, never read back)."""
    cert = unit_key_certificate(_seed(db), key_id, unit_id, public)
    if not await cert_store.set_unit_key_certificate(db, key_id, unit_id, public, cert):
        raise UncertifiedKey(f"unit key #{key_id} changed while it was being certified")


def certify_unit(db: Database, unit_id: str, name: str, kind: str, retired_day: str | None) -> bytes:
    """The certificate of a unit as the caller is about to write it (create, rename, retire)."""
    cert = unit_certificate(_seed(db), unit_id, name, kind, retired_day)
    _mark_units_certified(db)
    return cert


def _mark_units_certified(db: Database) -> None:
    mark_units_certified_in(db.path.parent)


def mark_units_certified_in(data_dir: Path) -> None:
    """Close the one-time "units as found" certification in a data directory for good.

    Security (insider finding V2): a restore writes it too, so a restored copy's units are
    never certified as found, whatever its marker or schema version says.
    """
    marker = data_dir / UNITS_CERTIFIED_NAME
    if not marker.exists():
        replace_file(marker, b"unit certificates are in use here; never certify units as found\n")


def mark_restored_before_unit_certificates(data_dir: Path) -> None:
    """Mark a directory restored from a copy whose schema predates unit certificates (0021)."""
    replace_file(data_dir / RESTORED_OLD_UNITS_NAME, b"restored from a copy older than unit certificates\n")


def unit_change_detail(unit_id: str, cert: bytes) -> str:
    """The detail of a rename's or retirement's audit entry: the unit and its new certificate's digest."""
    return f"unit={unit_id} cert={envelope.checksum(cert)[:16].hex()}"


_CERT_IN_DETAIL = re.compile(r"(?:^| )cert=([0-9a-f]{32})(?: |$)")


def unit_holds(seed: bytes, unit: UnitFacts) -> bool:
    """Whether a unit's row is as certified, and is the row its newest change made.

    Security (insider finding V1): a certificate alone is valid forever, so a writer could put
    back an older certified row (revive a retired unit, undo a rename). A rename or retirement
    names the new certificate in its keyed audit entry; the row must match the newest such
    entry, which must itself link under the outside key. Cutting that entry off the log's tail
    is caught by the checkpoint kept after it, deleting it elsewhere by the chain check.
    """
    if not _same(unit.certificate, unit_certificate(seed, unit.id, unit.name, unit.kind, unit.retired_day)):
        return False
    change = unit.last_change
    if change is None:
        return True
    found = _CERT_IN_DETAIL.search(change.entry.detail)
    return (
        found is not None and unit.certificate is not None and change.entry.unit_id == unit.id
        and audit.row_links(change, seed)
        and _same(bytes.fromhex(found.group(1)), envelope.checksum(unit.certificate)[:16])
    )


async def checked_unit(db: Database, unit_id: str) -> UnitFacts | None:
    """A unit's row, only if its certificate holds (None: no such unit); refusals are audited."""
    unit = await unit_store.unit_facts_of(db, unit_id)
    if unit is not None and not unit_holds(_seed(db), unit):
        await _refuse(db, f"unit {unit_id} (its name, kind or retirement)", f"unit={unit_id}")
    return unit


async def certify_units_upgrade(db: Database) -> int | None:
    """Certify every unit as found, once, after migration 0021; the number certified.

    Runs only while the database says so AND units.certified beside it does not exist (the
    pattern of certify_upgrade and the pin): a writer who sets the marker again later gets a
    failed key check on the record, not their rows certified. A restore always writes the
    file (insider finding V2), so a restored copy's units are certified only by the explicit,
    audited `certify_restored` (K shares).
    """
    if not await unit_store.unit_certification_owed(db):
        # Security (V2): units here carry certificates already; close the window for good
        # (a directory restored before restores wrote the file, or a crash before it was written).
        _mark_units_certified(db)
        return None
    if (db.path.parent / RESTORED_OLD_UNITS_NAME).exists():
        _log.warning(UNITS_OWED_RESTORED)
        return None
    if (db.path.parent / UNITS_CERTIFIED_NAME).exists():
        await unit_store.set_unit_certificates(db, {})
        entry = audit.pending("key_check_failed", username=CHECKER, detail="unit-owed-marker-ignored")
        await audit.record(db, entry)
        await audit.keep_checkpoint(db)  # a writer who cuts the refusal off the tail is seen (V4b)
        return None
    return await _certify_units_as_found(db, "")


UNITS_OWED_RESTORED = (
    "this directory was restored from a database copy whose units predate unit certificates: "
    "no unit is offered until `python run.py keys certify-restored` (K custodian shares; audited) "
    "certifies them, which you do only if the copy truly predates them"
)


async def _certify_units_as_found(db: Database, why: str) -> int:
    """Certify every unit as found; audited as `keys_certified` (units=N)."""
    seed = _seed(db)
    found = {u.id: unit_certificate(seed, u.id, u.name, u.kind, u.retired_day)
             for u in await unit_store.unit_facts(db)}
    # Security (V2): the file first, then the database. A crash between them leaves the owed
    # marker refused at the next start (loud), never a directory open to certifying again.
    _mark_units_certified(db)
    await unit_store.set_unit_certificates(db, found)
    entry = audit.pending("keys_certified", username=CHECKER, detail=f"{why}units={len(found)}")
    await audit.record(db, entry)
    return len(found)


def unit_key_certifier(db: Database, unit_id: str, public: bytes) -> Callable[[int], bytes]:
    """Makes a new unit key's certificate from the id the store gives it, inside its transaction."""
    seed = _seed(db)
    return lambda key_id: unit_key_certificate(seed, key_id, unit_id, public)


def draft_certifier(db: Database, public: bytes) -> Callable[[int], bytes]:
    """Makes a package draft key's certificate from the id the store gives the draft."""
    seed = _seed(db)
    return lambda draft_id: draft_certificate(seed, draft_id, public)


def subject_key_certifier(db: Database, unit_id: str, key: bytes) -> Callable[[int], bytes]:
    """Makes a new subject key's certificate from the id the store gives it, inside its transaction."""
    seed = _seed(db)
    return lambda subject_key_id: subject_key_certificate(seed, subject_key_id, unit_id, key)


async def certify_staff(db: Database, staff_id: int, unit_id: str, role: str, public: bytes) -> None:
    """Certify a staff key for the unit and role it now has (enrolment, move)."""
    cert = staff_certificate(_seed(db), staff_id, unit_id, role, public)
    if not await cert_store.set_staff_certificate(db, staff_id, unit_id, role, public, cert):
        raise UncertifiedKey(f"staff member #{staff_id} changed while being certified")


def new_report_certifier(
    db: Database, report_id: str, unit_id: str, report_public: bytes, reporter_public: bytes | None
) -> Callable[[int], bytes]:
    """Makes a new report's certificate from the seq the store gives it (signing line 1: all signed)."""
    seed = _seed(db)

    def make(seq: int) -> bytes:
        binding = ReportBinding(seq, report_id, unit_id, report_public, reporter_public, 1, None, (), None)
        return report_certificate(seed, binding)

    return make


@dataclass(frozen=True)
class HandOver:
    """Makes the certificates of a report passed on, inside the transfer's transaction."""

    seed: bytes
    binding: ReportBinding  # as certified before the hand-over
    to_unit_id: str
    new_public: bytes

    def certificates(self, generation: int, last_n: int) -> tuple[bytes, bytes]:
        """(certificate of the retired key's history row, the report's new certificate)."""
        b = self.binding
        retired = HistoryRow(generation, b.report_public_key, last_n, b.unit_id, None)
        after = ReportBinding(
            b.seq, b.report_id, self.to_unit_id, self.new_public, b.reporter_public_key, b.first_n,
            b.below_line, (*b.history, retired), None,
        )
        return history_certificate(self.seed, b.seq, retired), report_certificate(self.seed, after)


async def hand_over(db: Database, report: ReportRow, to_unit_id: str, new_public: bytes) -> HandOver:
    """Check the report's certificate, then ready the ones it will have after passing it on."""
    binding = await _checked_binding(db, report, "staff")
    return HandOver(_seed(db), binding, to_unit_id, new_public)


# Checking before sealing.


async def custodian_public(db: Database) -> bytes:
    """The custodian public key, only if it matches the pinned file and its certificate."""
    found = await cert_store.custodian(db)
    if found is None:
        raise UncertifiedKey("no custodian key: run `python run.py init` first")
    public, cert = found
    if not _same(read_pin(pin_path(db)), public):
        await _refuse(db, f"the custodian public key (not the one pinned in {PIN_NAME})", "custodian pin")
    if not _same(cert, custodian_certificate(_seed(db), public)):
        await _refuse(db, "the custodian public key", "custodian")
    return public


async def checked_unit_key(db: Database, key: UnitKeyRow) -> UnitKeyRow:
    """A unit key row, only if its certificate holds."""
    await checked_key(db, key.id, key.unit_id, key.public_key)
    return key


async def checked_key(db: Database, key_id: int, unit_id: str, public: bytes) -> bytes:
    """A unit key's public half, only if certified as key `key_id` of `unit_id`."""
    cert = await cert_store.unit_key_certificate(db, key_id)
    if not _same(cert, unit_key_certificate(_seed(db), key_id, unit_id, public)):
        await _refuse(db, f"the key of unit {unit_id}", f"unit_key={unit_id}")
    return public


async def current_unit_key(db: Database, unit_id: str) -> UnitKeyRow | None:
    """The unit's current key to seal to, certified and the newest it has; None if it has none.

    Security: a newer key marked retired behind our back would make an older one (perhaps held
    by a removed member) current again; that is refused too.
    """
    key = await units.current_unit_key(db, unit_id)
    if key is None:
        return None
    if await cert_store.newest_unit_key_id(db, unit_id) != key.id:
        what = f"the current key of unit {unit_id} (a newer one is marked retired)"
        await _refuse(db, what, f"unit_key={unit_id}")
    return await checked_unit_key(db, key)


async def unit_ring(db: Database, unit_id: str) -> list[UnitKeyRow]:
    """Every key of a unit's ring, each certified."""
    return [await checked_unit_key(db, k) for k in await units.unit_keys(db, unit_id)]


async def staff_public(db: Database, staff: StaffRow, *, leaving_unit: bool = False) -> bytes:
    """A staff member's public key, only if certified for their id, unit and role, and not revoked.

    Security (insider finding F2): a member removed from or moved out of a unit is listed in
    the revocation file outside the database (custody/revoked.py), so their row or old
    certificate put back by SQL is refused. `leaving_unit` is only for moving them out of
    that very unit (a re-run after a crash), where nothing of that unit is sealed to them.
    """
    what, detail = f"the key of staff member {staff.username}", f"staff_key={staff.id}"
    cert = await cert_store.staff_certificate(db, staff.id)
    if not _same(cert, staff_certificate(_seed(db), staff.id, staff.unit_id, staff.role, staff.public_key)):
        await _refuse(db, what, detail)
    if not leaving_unit:
        try:
            listed = revoked.is_revoked(db.path.parent, staff.id, staff.unit_id)
        except DataDirError:
            await _refuse(db, f"{what} (the revocation list {revoked.REVOKED_NAME} is damaged)", detail)
        if listed:
            await _refuse(db, f"{what} (removed from or moved out of {staff.unit_id}: revoked)",
                          f"{detail} revoked")
    return staff.public_key


async def draft_public(db: Database, draft: DraftRow) -> bytes:
    """A package draft's public key to seal a new version or a rejection reason to, if certified."""
    cert = await cert_store.draft_certificate(db, draft.id)
    if not _same(cert, draft_certificate(_seed(db), draft.id, draft.public_key)):
        await _refuse(db, "the package draft's key", f"draft={draft.id}")
    return draft.public_key


async def check_subject_key(db: Database, row: SubjectKeyRow, key: bytes) -> bytes:
    """The unit's subject key just opened from `row`, only if its certificate holds.

    Security (F8): sealing to a unit's ring needs only its public keys, so a database writer
    can seal a key of their own; without this check every tag and mark made next would be
    under a key they know. A key made before 0016 is checked by its grants, as certified at
    the upgrade, and then certified by the key itself.
    """
    seed = _seed(db)
    expected = subject_key_certificate(seed, row.id, row.unit_id, key)
    if row.certificate is not None:
        if not _same(row.certificate, expected):
            await _refuse(db, f"the subject key of unit {row.unit_id}", f"subject_key={row.unit_id}")
        return key
    grants_cert = subject_grants_certificate(seed, row.id, row.unit_id, row.grants)
    if row.grants_certificate is None or not _same(row.grants_certificate, grants_cert):
        await _refuse(db, f"the subject key of unit {row.unit_id}", f"subject_key={row.unit_id}")
    if not await subject_store.set_certificate(db, row.id, grants_cert, expected):
        raise UncertifiedKey(f"the subject key of unit {row.unit_id} changed while it was being certified")
    return key


async def _checked_binding(db: Database, report: ReportRow, side: str) -> ReportBinding:
    binding = await cert_store.report_binding(db, report.seq)
    # Reporter-side checks name no report: nothing a reporter does is logged (invariant 2).
    detail = f"report={report.id}" if side == "staff" else "report"
    if binding is None or (binding.report_public_key, binding.unit_id, binding.reporter_public_key) != (
        report.report_public_key, report.unit_id, report.reporter_public_key
    ):
        await _refuse(db, "the report's key", detail)
    seed = _seed(db)
    if not _same(binding.certificate, report_certificate(seed, binding)) or not all(
        _same(h.certificate, history_certificate(seed, binding.seq, h)) for h in binding.history
    ):
        await _refuse(db, "the report's key", detail)
    return binding


async def report_public(db: Database, report: ReportRow, *, side: str = "staff") -> bytes:
    """The report public key to seal a new item to, only if certified for the unit holding it."""
    return (await _checked_binding(db, report, side)).report_public_key


async def reporter_public(db: Database, report: ReportRow) -> bytes:
    """The reporter's public key to seal a reply to, only if the report's certificate covers it."""
    binding = await _checked_binding(db, report, "staff")
    if binding.reporter_public_key is None:
        raise UncertifiedKey("this report has no reporter to write to")
    return binding.reporter_public_key


# Reading a report's certified custody (for checking who signed what).


@dataclass(frozen=True)
class Custody:
    """Where signing began and which unit held a report at each position, as certified."""

    first_n: int
    below_line: bytes | None
    stretches: tuple[tuple[int, str | None], ...]  # (last position, unit that held it), oldest first
    unit_id: str  # holds it now, for every later position

    def holder_at(self, n: int) -> str | None:
        """The unit that held the report when its item at position `n` was written."""
        for last_n, unit_id in self.stretches:
            if n <= last_n:
                return unit_id
        return self.unit_id


async def custody(db: Database, seq: int) -> Custody | None:
    """A report's certified custody, or None when its certificate fails (then nothing verifies).

    Silent (no audit entry): the reporter's page reads it, and nothing a reporter does is logged.
    """
    binding = await cert_store.report_binding(db, seq)
    if binding is None or db.audit_seed is None:
        return None
    seed = db.audit_seed
    if not _same(binding.certificate, report_certificate(seed, binding)) or not all(
        _same(h.certificate, history_certificate(seed, seq, h)) for h in binding.history
    ):
        return None
    return Custody(
        binding.first_n, binding.below_line,
        tuple((h.last_n, h.unit_id) for h in binding.history), binding.unit_id,
    )


async def below_line_intact(db: Database, seq: int, held: Custody) -> bool:
    """Whether the unsigned items before the signing line are exactly those certified."""
    if held.first_n <= 1:
        return False
    items = await cert_store.below_line_items(db, seq, held.first_n)
    return _same(held.below_line, below_line_digest(items))


# The trust point of an upgrade.


async def certify_upgrade(db: Database) -> int | None:
    """Certify every row of a database upgraded to certificates, once; the number of reports.

    Runs only while the database says certificates are owed AND the custodian pin file does
    not exist yet; the pin is written last. A database writer can set the marker again but
    cannot remove the pin, so nothing already certified (or swapped since) is blessed later.
    A restore always writes the pin (custody/backup.py), so a restored copy is never
    certified here: only by the explicit, audited `certify_restored` (insider finding F1).
    """
    if not await cert_store.certification_owed(db):
        return None
    if pin_path(db).exists():
        await cert_store.forget_owed(db)
        entry = audit.pending("key_check_failed", username=CHECKER, detail="owed-marker-ignored")
        await audit.record(db, entry)
        await audit.keep_checkpoint(db)  # a writer who cuts the refusal off the tail is seen (V4b)
        _log.warning(OWED_BUT_PINNED)
        return None
    return await _certify_all(db, "")


OWED_BUT_PINNED = (
    "the database says its keys are owed certificates but the custodian key is already pinned "
    "(a restored or altered copy): nothing was certified. Only if this copy truly predates "
    "certificates, run `python run.py keys certify-restored` (K custodian shares; audited)"
)


class RestoredRefused(Exception):
    """`certify_restored` would not run: the message says why."""


async def certify_restored(db: Database, custodian_private: bytes) -> int:
    """Certify every row of a restored copy from before certificates; the number of reports.

    The explicit, audited step a restored directory needs (its pin is written by the restore,
    so the silent first-start upgrade never runs there). The caller has opened the custodian
    key with K shares (`custodian_private`).
    Security: refused unless the restore marked the directory as restored from a copy whose
    schema predates certificates (a copy made since, with certificates cleared, is refused),
    unless the pinned key, the copy's custodian row and the key the share holders opened are
    one key, and when the copy's custodian key already carries a valid certificate. The entry
    names the operator: certifying rows as found is a decision K share holders take, on the
    record (a copy forged to look old still needs them to).
    """
    marker = db.path.parent / RESTORED_OLD_NAME
    units_marker = db.path.parent / RESTORED_OLD_UNITS_NAME
    if not marker.exists() and not units_marker.exists():
        raise RestoredRefused(
            "this directory was not restored from a database copy older than certificates (the "
            "restore checks the copy's schema): nothing was certified. Keys without a valid "
            "certificate in it were altered; restore an older, trusted copy instead"
        )
    found = await cert_store.custodian(db)
    pinned = read_pin(pin_path(db))
    held = envelope.public_key_of(custodian_private)
    if found is None or not _same(pinned, found[0]) or not _same(held, found[0]):
        raise RestoredRefused(
            f"the custodian key pinned in {PIN_NAME}, the database's and the one your shares open "
            "are not one key: nothing was certified"
        )
    if not marker.exists():
        # Only the units predate their certificates (a copy made between 0013 and 0021).
        await _certify_units_as_found(db, "restored-copy ")
        units_marker.unlink()
        return 0
    if _same(found[1], custodian_certificate(_seed(db), found[0])):
        raise RestoredRefused(
            "this database already carries certificates, so it does not predate them: nothing was "
            "certified. Rows without a valid certificate in such a copy were altered; restore an "
            "older, trusted copy instead"
        )
    reports = await _certify_all(db, "restored-copy ")
    marker.unlink()
    units_marker.unlink(missing_ok=True)
    return reports


async def _certify_all(db: Database, why: str) -> int:
    """Certify every row as found and pin the custodian key; audited as `keys_certified`."""
    seed = _seed(db)
    found = await cert_store.custodian(db)
    reports: dict[int, tuple[bytes, bytes]] = {}
    history: dict[tuple[int, int], bytes] = {}
    for seq in await cert_store.report_seqs(db):
        b = await cert_store.report_binding(db, seq)
        if b is None:
            continue
        line = below_line_digest(await cert_store.below_line_items(db, seq, b.first_n))
        b = ReportBinding(b.seq, b.report_id, b.unit_id, b.report_public_key, b.reporter_public_key,
                          b.first_n, line, b.history, None)
        reports[seq] = (report_certificate(seed, b), line)
        history.update({(seq, h.generation): history_certificate(seed, seq, h) for h in b.history})
    backfill = cert_store.Backfill(
        custodian=custodian_certificate(seed, found[0]) if found else None,
        unit_keys={
            k: unit_key_certificate(seed, k, u, p) for k, u, p, _ in await cert_store.all_unit_keys(db)
        },
        staff={s: staff_certificate(seed, s, u, r, p) for s, u, r, p, _ in await cert_store.all_staff(db)},
        reports=reports,
        history=history,
        drafts={d: draft_certificate(seed, d, k) for d, k in await cert_store.all_drafts(db)},
        subject_keys={
            i: subject_grants_certificate(seed, i, u, g) for i, u, g in await subject_store.all_grants(db)
        },
    )
    await cert_store.write_backfill(db, backfill)
    if found is not None:
        write_pin(db, found[0])
    if await unit_store.unit_certification_owed(db):
        await _certify_units_as_found(db, why)  # the units as found, at the same trust point
    detail = f"{why}unit_keys={len(backfill.unit_keys)} staff={len(backfill.staff)} reports={len(reports)}"
    await audit.record(db, audit.pending("keys_certified", username=CHECKER, detail=detail))
    return len(reports)
