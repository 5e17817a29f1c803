"""Building the published table: periods by columns, with a total, from the monthly counters."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from dropbox_server.stats.columns import COLUMNS, Column, column_for_measure
from dropbox_server.stats.periods import months_between, period_of
from dropbox_server.stats.protection import Cell, protect
from dropbox_server.store import Database
from dropbox_server.store import stats as stats_store
from dropbox_server.store.stats import MonthlyCount

NATIONAL = "national"

# (unit, month, column key) -> count: the atoms every published figure is a sum of.
Atoms = dict[tuple[str, str, str], int]


@dataclass(frozen=True)
class StatsQuery:
    """What to publish: a unit (or national), months inclusive, and the period to group by."""

    first_month: str
    last_month: str
    unit_id: str | None = None
    period: str = "month"

    @property
    def scope(self) -> str:
        return self.unit_id or NATIONAL


@dataclass(frozen=True)
class StatsRow:
    period: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class StatsTable:
    """Published figures only: every cell has been through small-number protection."""

    query: StatsQuery
    columns: tuple[Column, ...]
    rows: tuple[StatsRow, ...]
    total: tuple[Cell, ...]

    def column_cells(self, key: str) -> list[tuple[str, Cell]]:
        """(period, cell) for one column, in period order."""
        index = [c.key for c in self.columns].index(key)
        return [(row.period, row.cells[index]) for row in self.rows]


def atoms_from(counts: list[MonthlyCount], national: bool) -> Atoms:
    """Add stored measures up into published columns per unit and month."""
    atoms: Atoms = defaultdict(int)
    for c in counts:
        column = column_for_measure(c.measure)
        if column is None or (national and column.forces_only_nationally and c.unit_kind != "force"):
            continue
        atoms[(c.unit_id, c.month, column.key)] += c.count
    return dict(atoms)


def build_table(query: StatsQuery, atoms: Atoms) -> StatsTable:
    """Group atoms by period and protect every figure, totals included."""
    months = months_between(query.first_month, query.last_month)
    periods = list(dict.fromkeys(period_of(m, query.period) for m in months))
    wanted = set(months)
    atoms = {k: n for k, n in atoms.items() if k[1] in wanted and query.unit_id in (None, k[0])}
    grouped: dict[tuple[str, str], list[int]] = defaultdict(list)
    for (_unit, month, key), count in atoms.items():
        grouped[(period_of(month, query.period), key)].append(count)
    rows = tuple(StatsRow(p, tuple(protect(grouped.get((p, c.key), [])) for c in COLUMNS)) for p in periods)
    total = tuple(protect(n for (_u, _m, key), n in atoms.items() if key == c.key) for c in COLUMNS)
    return StatsTable(query, COLUMNS, rows, total)


async def statistics(db: Database, query: StatsQuery) -> StatsTable:
    """The published table for `query`, read from the monthly counters.

    Security: counters hold no report id and no day, and survive every deletion; the
    result has passed small-number protection and is safe to publish.
    """
    months_between(query.first_month, query.last_month)  # validates before any query
    period_of(query.first_month, query.period)
    counts = await stats_store.monthly_counts(db, query.first_month, query.last_month, query.unit_id)
    return build_table(query, atoms_from(counts, national=query.unit_id is None))
