"""What an intelligence package holds, how it is checked, and how it is serialised.

Every field is written by the desk analyst: the subject's details only if the analyst keeps
them, when and where in the analyst's own words, and a summary that is never copied from the
reporter's text automatically. Grading follows the College of Policing 3x5x2 model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dropbox_server.conduct import CONDUCT_KINDS
from dropbox_server.i18n import lazy
from dropbox_server.reports.content import fields_to_bytes, known_fields

# 3x5x2: source evaluation, intelligence assessment, handling code.
SOURCE_EVALUATIONS: dict[str, str] = {
    "1": lazy("1: reliable"),
    "2": lazy("2: untested"),
    "3": lazy("3: not reliable"),
}
ASSESSMENTS: dict[str, str] = {
    "A": lazy("A: known to be true without reservation"),
    "B": lazy("B: known personally to the source but not to the person reporting"),
    "C": lazy("C: not known personally to the source, but corroborated"),
    "D": lazy("D: cannot be judged"),
    "E": lazy("E: suspected to be false or malicious"),
}
HANDLING_CODES: dict[str, str] = {
    "P": lazy("P: lawful sharing permitted"),
    "C": lazy("C: lawful sharing permitted with conditions"),
}
SHORT_FIELD_CHARS = 200
LONG_FIELD_CHARS = 5000
_SHORT = ("subject_name", "subject_role", "collar_number", "station", "when", "where")


@dataclass(frozen=True)
class PackageContent:
    """A package's body: what the receiving force reads."""

    force: str  # the receiving unit's id
    conduct: str
    summary: str
    source_evaluation: str
    assessment: str
    handling: str
    handling_conditions: str = ""
    subject_name: str = ""
    subject_role: str = ""
    collar_number: str = ""
    station: str = ""
    when: str = ""
    where: str = ""
    risk: bool = False
    conflict_override: bool = False

    @property
    def what_happened(self) -> str:
        """The summary, where code written for reports looks for 'what happened' (inbox rows)."""
        return self.summary

    def to_bytes(self) -> bytes:
        return fields_to_bytes(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> PackageContent:
        return cls(**known_fields(cls, data))


def package_from_form(values: dict[str, str], to_unit: str) -> tuple[PackageContent, dict[str, str]]:
    """A package from the analyst's form, and each problem by field (empty when it is good)."""
    clean = {k: values.get(k, "").replace("\r\n", "\n").strip() for k in values}
    errors: dict[str, str] = {}
    if clean.get("conduct", "") not in CONDUCT_KINDS:
        errors["conduct"] = "choose"
    if not clean.get("summary"):
        errors["summary"] = "empty"
    elif len(clean["summary"]) > LONG_FIELD_CHARS:
        errors["summary"] = "too_long"
    for name in _SHORT:
        if len(clean.get(name, "")) > SHORT_FIELD_CHARS:
            errors[name] = "too_long"
    if clean.get("source_evaluation", "") not in SOURCE_EVALUATIONS:
        errors["source_evaluation"] = "choose"
    if clean.get("assessment", "") not in ASSESSMENTS:
        errors["assessment"] = "choose"
    if clean.get("handling", "") not in HANDLING_CODES:
        errors["handling"] = "choose"
    elif clean["handling"] == "C" and not clean.get("handling_conditions"):
        errors["handling_conditions"] = "empty"
    if len(clean.get("handling_conditions", "")) > LONG_FIELD_CHARS:
        errors["handling_conditions"] = "too_long"
    content = PackageContent(
        force=to_unit,
        conduct=clean.get("conduct", ""),
        summary=clean.get("summary", ""),
        source_evaluation=clean.get("source_evaluation", ""),
        assessment=clean.get("assessment", ""),
        handling=clean.get("handling", ""),
        handling_conditions=clean.get("handling_conditions", "") if clean.get("handling") == "C" else "",
        risk=clean.get("risk") == "yes",
        conflict_override=clean.get("conflict_override") == "yes",
        **{name: clean.get(name, "") for name in _SHORT},
    )
    return content, errors


def form_values(content: PackageContent) -> dict[str, str]:
    """A stored package as the form's values, to edit it."""
    values = {k: v for k, v in asdict(content).items() if isinstance(v, str)}
    values["risk"] = "yes" if content.risk else ""
    values["conflict_override"] = "yes" if content.conflict_override else ""
    return values
