"""Validating the reporter's forms into frozen values, with a friendly message per problem."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from dropbox_server.conduct import CONDUCT_KINDS
from dropbox_server.config import FormLimits
from dropbox_server.forces import FORCES_BY_ID
from dropbox_server.i18n import lazy
from dropbox_server.reports.content import CONTACT_SCOPES, ContactDetails, ReportContent
from dropbox_server.reports.submission import UNKNOWN_FORCE
from dropbox_server.web.formdata import FormData

SHORT_FIELDS = ("subject_name", "subject_role", "collar_number", "station")
MEDIUM_FIELDS = ("when", "where", "contact_how", "contact_when")
LONG_FIELDS = ("what_happened", "anything_else")
MEDIUM_FIELD_CHARS = 1000
ALL_FIELDS = (
    "force",
    "conduct",
    *SHORT_FIELDS,
    *MEDIUM_FIELDS,
    *LONG_FIELDS,
    "conflict",
    "contact_choice",
    "contact_scope",
)


@dataclass(frozen=True)
class FieldError:
    """A problem with one field: the message and any numbers it mentions."""

    message: str
    limit: int = 0


@dataclass(frozen=True)
class ReportFormResult:
    values: dict[str, str]
    errors: dict[str, FieldError]
    content: ReportContent | None
    contact: ContactDetails | None


def _limit_for(name: str, limits: FormLimits) -> int:
    if name in SHORT_FIELDS:
        return limits.short_field_chars
    if name in MEDIUM_FIELDS:
        return MEDIUM_FIELD_CHARS
    return limits.long_field_chars


def validate_report(
    form: FormData, limits: FormLimits, force_ids: Collection[str] | None = None
) -> ReportFormResult:
    """Check the report form; on any problem, keep every value so the page can show it again.

    `force_ids`: the forces on offer (from the database); the seeded list when not given.
    """
    known_forces = FORCES_BY_ID if force_ids is None else force_ids
    values = {name: form.get(name).replace("\r\n", "\n") for name in ALL_FIELDS}
    errors: dict[str, FieldError] = {}
    for name in (*SHORT_FIELDS, *MEDIUM_FIELDS, *LONG_FIELDS):
        limit = _limit_for(name, limits)
        if len(values[name]) > limit:
            errors[name] = FieldError(
                lazy("This is too long: please keep it under %(limit)s characters."), limit
            )
        elif name in form.bad_encoding:
            errors[name] = FieldError(lazy("Some characters could not be read. Please check this text."))
    if values["force"] not in known_forces and values["force"] != UNKNOWN_FORCE:
        errors["force"] = FieldError(lazy("Choose the force, or choose “I don’t know”."))
    if values["conduct"] not in CONDUCT_KINDS:
        errors["conduct"] = FieldError(lazy("Choose the kind of conduct that is closest."))
    if not values["what_happened"].strip() and "what_happened" not in errors:
        errors["what_happened"] = FieldError(lazy("Tell us what happened."))
    contact = None
    if values["contact_choice"] == "contact":
        if not values["contact_how"].strip() and "contact_how" not in errors:
            errors["contact_how"] = FieldError(
                lazy("Tell us how to contact you, or choose to stay anonymous.")
            )
        if values["contact_scope"] not in CONTACT_SCOPES:
            errors["contact_scope"] = FieldError(lazy("Choose who may see your contact details."))
    elif values["contact_choice"] != "anonymous":
        errors["contact_choice"] = FieldError(
            lazy("Choose whether to stay anonymous or leave contact details.")
        )
    if errors:
        return ReportFormResult(values, errors, None, None)
    if values["contact_choice"] == "contact":
        contact = ContactDetails(
            how=values["contact_how"].strip(),
            when_safe=values["contact_when"].strip(),
            scope=values["contact_scope"],
        )
    content = ReportContent(
        force=values["force"],
        conduct=values["conduct"],
        conflict=values["conflict"] == "yes",
        **{name: values[name].strip() for name in (*SHORT_FIELDS, "when", "where", *LONG_FIELDS)},
    )
    return ReportFormResult(values, {}, content, contact)
