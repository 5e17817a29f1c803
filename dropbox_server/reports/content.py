"""What a report holds, and how each part is serialised before encryption."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ITEM_CONTEXT = b"tipdrop:v1:item:"
CONTACT_SCOPES = ("unit", "investigating_force")


def fields_to_bytes(value: DataclassInstance) -> bytes:
    """A report's or a package's fields as the JSON that is encrypted (one form for both)."""
    return json.dumps(asdict(value), ensure_ascii=False, sort_keys=True).encode("utf-8")


def known_fields(cls: type[DataclassInstance], data: bytes) -> dict[str, Any]:
    """The fields of `cls` found in decrypted JSON; unknown keys (a later version's) are dropped."""
    raw = json.loads(data.decode("utf-8"))
    known = {f.name for f in fields(cls)}
    return {k: v for k, v in raw.items() if k in known}


@dataclass(frozen=True)
class ReportContent:
    """The fields of a report as the reporter (or call handler) typed them."""

    force: str
    conduct: str
    subject_name: str = ""
    subject_role: str = ""
    collar_number: str = ""
    station: str = ""
    when: str = ""
    where: str = ""
    what_happened: str = ""
    anything_else: str = ""
    conflict: bool = False

    def to_bytes(self) -> bytes:
        return fields_to_bytes(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> ReportContent:
        return cls(**known_fields(cls, data))


@dataclass(frozen=True)
class ContactDetails:
    """How and when the unit may contact the reporter, and who may see these details."""

    how: str
    when_safe: str
    scope: str

    def to_bytes(self) -> bytes:
        return fields_to_bytes(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> ContactDetails:
        raw = json.loads(data.decode("utf-8"))
        return cls(how=raw["how"], when_safe=raw["when_safe"], scope=raw["scope"])


def item_context(report_id: str, kind: str) -> bytes:
    """Associated data binding an item's ciphertext to its report and kind."""
    return ITEM_CONTEXT + report_id.encode("ascii") + b":" + kind.encode("ascii")
