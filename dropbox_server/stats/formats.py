"""Writing a published table as aligned text, CSV or JSON (the command line's formats)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from dropbox_server.i18n import lazy
from dropbox_server.stats.protection import FEWER_THAN_5, Cell
from dropbox_server.stats.table import StatsTable

FORMATS = ("table", "csv", "json")
RULE = (
    "Counts from 1 to 4 are shown as 'fewer than 5'. A figure that includes one is shown as "
    "the range it lies in, never exactly, so no subtraction recovers a suppressed count."
)

RANGE = lazy("%(low)s to %(high)s")

Translate = Callable[[str], str]


def cell_text(cell: Cell, translate: Translate = str, *, grouped: bool = True) -> str:
    """'1,988', 'fewer than 5', or a range '1,004 to 1,016'."""
    if cell.exact is not None:
        return f"{cell.exact:,}" if grouped else str(cell.exact)
    if cell.fewer_than_5:
        return translate(FEWER_THAN_5)
    low, high = (f"{cell.low:,}", f"{cell.high:,}") if grouped else (str(cell.low), str(cell.high))
    return translate(RANGE) % {"low": low, "high": high}


def _title(table: StatsTable) -> str:
    q = table.query
    return f"Statistics for {q.scope}, {q.first_month} to {q.last_month}, by {q.period}"


def as_text(table: StatsTable) -> str:
    """An aligned plain-text table with a total row and the protection rule under it."""
    header = ["period", *(c.label for c in table.columns)]
    lines = [[row.period, *(cell_text(c) for c in row.cells)] for row in table.rows]
    lines.append(["total", *(cell_text(c) for c in table.total)])
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]

    def fmt(r: list[str]) -> str:
        return "  ".join(
            [r[0].ljust(widths[0]), *(v.rjust(w) for v, w in zip(r[1:], widths[1:], strict=True))]
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join(
        [_title(table), "", fmt(header), rule, *map(fmt, lines[:-1]), rule, fmt(lines[-1]), "", RULE]
    )


def as_csv(table: StatsTable) -> str:
    """One row per period and a total row; protected figures as words, never as numbers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period", *(c.key for c in table.columns)])
    for row in table.rows:
        writer.writerow([row.period, *(cell_text(c, grouped=False) for c in row.cells)])
    writer.writerow(["total", *(cell_text(c, grouped=False) for c in table.total)])
    return out.getvalue()


def _cell_json(cell: Cell) -> dict[str, object]:
    if cell.exact is not None:
        return {"value": cell.exact}
    if cell.fewer_than_5:
        return {"value": None, "fewer_than_5": True}
    return {"value": None, "low": cell.low, "high": cell.high}


def as_json(table: StatsTable) -> str:
    """The table with its query, column labels and rule; protected figures carry no value."""
    q = table.query
    columns = [c.key for c in table.columns]
    data = {
        "scope": q.scope,
        "from": q.first_month,
        "to": q.last_month,
        "period": q.period,
        "columns": {c.key: c.label for c in table.columns},
        "rows": [
            {"period": r.period, **{k: _cell_json(c) for k, c in zip(columns, r.cells, strict=True)}}
            for r in table.rows
        ],
        "total": {k: _cell_json(c) for k, c in zip(columns, table.total, strict=True)},
        "rule": RULE,
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def render(table: StatsTable, fmt: str) -> str:
    if fmt == "table":
        return as_text(table)
    if fmt == "csv":
        return as_csv(table)
    if fmt == "json":
        return as_json(table)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")
