"""The published figures: what each column counts, built from the stored monthly measures."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server.i18n import lazy


@dataclass(frozen=True)
class Column:
    """One published figure: its key, its label and the stored measures it adds up."""

    key: str
    label: str
    measures: tuple[str, ...]
    # Nationally, arrivals are counted at force units only (the hub's triage is not a force's).
    forces_only_nationally: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("calls", lazy("Calls"), ("phone_report", "phone_follow_up")),
    Column("online", lazy("Online reports"), ("online_report",)),
    Column("received", lazy("Reports passed to force units"), ("received",), forces_only_nationally=True),
    Column("intelligence", lazy("Intelligence records"), ("intelligence",)),
    Column("investigation", lazy("Investigations opened"), ("investigation",)),
    Column("safeguarding", lazy("Safeguarding actions"), ("safeguarding",)),
    Column("no-further-action", lazy("No further action"), ("no-further-action",)),
    Column("out-of-scope", lazy("Out of scope"), ("out-of-scope",)),
    Column("passed_on", lazy("Reports passed to other forces"), ("passed_on",)),
    # Desk routing: approved packages delivered to each force unit (counted on approval).
    Column("packages", lazy("Intelligence packages disseminated"), ("package",)),
)
COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}


def column_for_measure(measure: str) -> Column | None:
    """The published column a stored measure adds to (None for a measure nobody publishes)."""
    for column in COLUMNS:
        if measure in column.measures:
            return column
    return None
