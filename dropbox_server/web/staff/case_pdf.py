"""The case file as a PDF, drawn server-side with fpdf2 (no JavaScript, no external resource).

Every field, the thread, notes, outcomes, history, transfers, each file's name, size and
SHA-256, and who exported it on which day. Text is drawn with a Unicode TrueType font, so a
reporter's words in any script come out as they were typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from dropbox_server.conduct import CONDUCT_KINDS, OUTCOMES
from dropbox_server.forces import FORCES_BY_ID
from dropbox_server.reports.case_export import CaseExport, FileLine

# DejaVu (Debian: fonts-dejavu-core) covers Latin, Welsh, Greek, Cyrillic and more.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"))
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MONO_FILE = "DejaVuSansMono.ttf"
Gettext = Callable[[str], str]


class FontMissing(Exception):
    """No Unicode font to draw the case file with; the operator installs fonts-dejavu-core."""


def font_dir() -> Path:
    for folder in FONT_DIRS:
        if all((folder / f).is_file() for f in (*FONT_FILES.values(), MONO_FILE)):
            return folder
    raise FontMissing("install the DejaVu fonts (Debian package fonts-dejavu-core)")


class _Doc:
    """A thin writer: headings, label/value pairs and paragraphs, flowing over pages."""

    def __init__(self, title: str, day: str) -> None:
        folder = font_dir()
        self.pdf = FPDF(format="A4")
        for style, name in FONT_FILES.items():
            self.pdf.add_font("Body", style, str(folder / name))
        self.pdf.add_font("Mono", "", str(folder / MONO_FILE))
        self.pdf.set_title(title)
        self.pdf.set_producer("tip drop")
        # Security: the document carries the day only, as everything the service keeps does.
        self.pdf.set_creation_date(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC))
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()

    def heading(self, text: str, size: int = 13) -> None:
        self.pdf.ln(2)
        self.pdf.set_font("Body", "B", size)
        self._cell(text, 7)

    def para(self, text: str, *, bold: bool = False, mono: bool = False) -> None:
        if mono:
            self.pdf.set_font("Mono", "", 8)
        else:
            self.pdf.set_font("Body", "B" if bold else "", 10)
        self._cell(text or "—", 5)

    def pair(self, label: str, value: str) -> None:
        self.para(label, bold=True)
        self.para(value)

    def _cell(self, text: str, height: float) -> None:
        self.pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L")

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _named(table: dict[str, str], code: str, _: Gettext) -> str:
    return _(table[code]) if code in table else code


def _fields(doc: _Doc, values: object, labels: dict[str, str], _: Gettext) -> None:
    for f in fields(values):  # type: ignore[arg-type]
        value = getattr(values, f.name)
        label = labels.get(f.name, f.name.replace("_", " ").capitalize())
        if f.name == "force":
            value = FORCES_BY_ID[value].name if value in FORCES_BY_ID else _("Not known")
        elif f.name == "conduct":
            value = _named(CONDUCT_KINDS, value, _)
        elif isinstance(value, bool):
            value = _("Yes") if value else _("No")
        doc.pair(label, str(value))


def case_pdf(export: CaseExport, files: Iterable[FileLine], unit_names: dict[str, str], _: Gettext) -> bytes:
    """The PDF of one exported case; `files` carry the SHA-256 computed as they were zipped."""
    case = export.case
    report = case.opened.report
    kind = _("Intelligence package") if report.is_package else _("Report")
    title = f"{kind} {report.id}"
    doc = _Doc(title, export.day)
    doc.heading(title, 16)
    doc.para(_("Case file exported by {who} on {day}.").format(who=export.exported_by, day=export.day))
    doc.para(_("Held by: {unit}").format(unit=unit_names.get(report.unit_id, report.unit_id)))

    doc.heading(_("Summary"))
    doc.pair(_("Outcome"), _named(OUTCOMES, report.outcome, _))
    doc.pair(_("Received"), report.created_day)
    doc.pair(_("Channel"), report.channel)
    doc.pair(_("First received by"), unit_names.get(report.first_unit_id, report.first_unit_id))
    assignee = case.authors.get(case.assignment.staff_id, "") if case.assignment else ""
    doc.pair(_("Assigned to"), assignee or _("Nobody"))

    labels = {
        "force": _("Force"),
        "conduct": _("Kind of conduct"),
        "subject_name": _("Name of the person"),
        "subject_role": _("Their role or rank"),
        "collar_number": _("Collar or staff number"),
        "station": _("Station or department"),
        "when": _("When"),
        "where": _("Where"),
        "what_happened": _("What happened"),
        "anything_else": _("Anything else"),
        "conflict": _("Subject works in the force's professional standards unit"),
        "summary": _("Summary"),
        "source_evaluation": _("Source evaluation"),
        "assessment": _("Intelligence assessment"),
        "handling": _("Handling code"),
        "handling_conditions": _("Handling conditions"),
        "risk": _("Someone may be in danger now"),
        "conflict_override": _("Passed despite a conflict of interest"),
    }
    if case.opened.package is not None:
        doc.heading(_("The package"))
        _fields(doc, case.opened.package, labels, _)
    else:
        doc.heading(_("What the reporter told us"))
        _fields(doc, case.opened.content, labels, _)
    if case.opened.contact is not None:
        doc.heading(_("Confidential: the reporter agreed to be contacted"))
        doc.pair(_("How to contact them"), case.opened.contact.how)
        doc.pair(_("When it is safe"), case.opened.contact.when_safe)

    who = {
        "reporter_message": _("Reporter"),
        "unit_reply": _("Reply"),
        "note": _("Note (not seen by the reporter)"),
    }
    thread = [m for m in case.opened.messages if m.kind != "note"]
    notes = [m for m in case.opened.messages if m.kind == "note"]
    for heading, messages in ((_("Thread"), thread), (_("Notes"), notes)):
        doc.heading(heading)
        if not messages:
            doc.para(_("None."))
        for m in messages:
            author = case.authors.get(m.author_staff_id, "") if m.author_staff_id is not None else ""
            doc.para(f"{m.day} · {who.get(m.kind, m.kind)}" + (f" · {author}" if author else ""), bold=True)
            doc.para(m.text)
    if export.relay:
        doc.heading(_("Messages to and from the desk"))
        for r in export.relay:
            doc.para(f"{r.day} · {r.kind} · {r.state}", bold=True)
            doc.para(r.text)

    doc.heading(_("Outcomes and history"))
    if not case.history:
        doc.para(_("None."))
    for h in case.history:
        line = f"{h.day} · {unit_names.get(h.unit_id, h.unit_id)} · "
        line += f"{_named(OUTCOMES, h.previous, _)} → {_named(OUTCOMES, h.outcome, _)}"
        doc.para(line + (f" · {h.author}" if h.author else ""), bold=True)
        if h.reason:
            doc.para(h.reason)
    for t in case.transfers:
        doc.para(
            _("{day}: passed from {source} to {target}").format(
                day=t.day,
                source=unit_names.get(t.from_unit_id, t.from_unit_id),
                target=unit_names.get(t.to_unit_id, t.to_unit_id),
            ),
            bold=True,
        )
        doc.para(t.reason)

    doc.heading(_("Files"))
    listed = list(files)
    if not listed:
        doc.para(_("None."))
    for f in listed:
        doc.pair(f.name, _("{size} bytes, in the archive as {path}").format(size=f.size, path=f.archive_name))
        doc.para(f"SHA-256 {f.sha256}", mono=True)
    doc.heading(_("Export"))
    doc.para(_("Exported by {who} on {day}.").format(who=export.exported_by, day=export.day))
    return doc.output()
