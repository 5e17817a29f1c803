"""Typed rows passed between storage and the use cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dropbox_server.store.audit import AuditRow


@dataclass(frozen=True)
class UnitRow:
    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class UnitFacts:
    """A unit as its certificate covers it, with its stored name key (custody/unit_check.py)."""

    id: str
    name: str
    kind: str
    retired_day: str | None
    name_key: str | None
    certificate: bytes | None
    # The newest rename or retirement entry of the audit chain naming the certificate it made
    # (insider finding V1): the row must match it, so an older certified row cannot come back.
    last_change: AuditRow | None = None


@dataclass(frozen=True)
class UnitKeyRow:
    id: int
    unit_id: str
    public_key: bytes
    created_day: str
    retired_day: str | None


@dataclass(frozen=True)
class GrantRow:
    """A unit private key sealed to a holder (a staff member, or the custodian when None)."""

    unit_key_id: int
    unit_id: str
    staff_id: int | None
    sealed_private_key: bytes


@dataclass(frozen=True)
class StaffRow:
    id: int
    username: str
    unit_id: str
    role: str
    public_key: bytes
    wrapped_private_key: bytes
    totp_secret_sealed: bytes | None
    created_day: str
    last_sign_in_day: str | None


@dataclass(frozen=True)
class NewItem:
    """An encrypted item ready to store."""

    kind: str
    ciphertext: bytes
    key_for_unit: bytes
    key_for_reporter: bytes | None = None
    author_staff_id: int | None = None
    # A reply's signature by its unit, or a follow-up's Box from the receipt key.
    authenticator: bytes | None = None
    # Or: the authenticator made from the item's position (`n`), inside the storing
    # transaction (a signed reply covers where it stands: insider finding F6).
    authenticate_at: Callable[[int], bytes] | None = None


@dataclass(frozen=True)
class NewReport:
    """A report ready to store: routing metadata in clear, everything typed as ciphertext."""

    id: str
    unit_id: str
    channel: str
    conduct: str
    conflict: bool
    contact_scope: str
    day: str
    lookup_id: bytes | None  # None for a package: it has no receipt
    reporter_public_key: bytes | None
    report_public_key: bytes
    contact_public_key: bytes | None
    unit_key_id: int
    sealed_report_key: bytes
    sealed_contact_key: bytes | None
    items: tuple[NewItem, ...]
    desk_state: str | None = None  # set for reports that reach the desk
    risk: bool = False  # a package flagged: someone may be in danger now
    # The report's certificate from the seq the store gives it (custody/certify.py), same transaction.
    certificate: Callable[[int], bytes] | None = None


@dataclass(frozen=True)
class ReportRow:
    seq: int
    id: str
    unit_id: str
    first_unit_id: str
    channel: str
    conduct: str
    outcome: str
    conflict: bool
    contact_scope: str
    created_day: str
    last_activity_day: str
    reporter_public_key: bytes | None  # None for a package: there is no reporter to write to
    report_public_key: bytes
    contact_public_key: bytes | None
    desk_state: str | None = None
    risk: bool = False

    @property
    def is_package(self) -> bool:
        return self.channel == "package"


@dataclass(frozen=True)
class ItemRow:
    id: int
    report_seq: int
    kind: str
    created_day: str
    author_staff_id: int | None
    ciphertext: bytes
    key_for_unit: bytes
    key_for_reporter: bytes | None
    authenticator: bytes | None = None
    n: int = 0  # position in its report (item ids are random and carry no order)
