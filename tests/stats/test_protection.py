"""Small-number protection: counts from 1 to 4 are never published, nor recoverable."""

from __future__ import annotations

import itertools

import pytest

from dropbox_server.stats.formats import as_csv, as_text, cell_text
from dropbox_server.stats.protection import Cell, protect
from dropbox_server.stats.table import Atoms, StatsQuery, StatsTable, build_table

SMALL = 3  # the count an attacker wants: one unit, one month, one column


def test_protect_rule() -> None:
    assert protect([]) == Cell(0, 0, 0)
    assert protect([0, 5, 120]) == Cell(125, 125, 125)
    assert protect([3]).fewer_than_5 and cell_text(protect([3])) == "fewer than 5"
    assert protect([4, 0]).fewer_than_5
    assert protect([100, 3]) == Cell(None, 101, 104)
    assert protect([100, 1, 2]) == Cell(None, 102, 108)
    assert cell_text(protect([1000, 3, 4])) == "1,002 to 1,008"
    with pytest.raises(ValueError):
        protect([-1])


def _atoms() -> Atoms:
    """Two forces over six months; force A had 3 calls in February 2025, all else is large."""
    atoms: Atoms = {}
    for unit, month in itertools.product(("force-a", "force-b"), [f"2025-{m:02d}" for m in range(1, 7)]):
        atoms[(unit, month, "calls")] = 40 + len(unit) + int(month[-1])
    atoms[("force-a", "2025-02", "calls")] = SMALL
    return atoms


def _only(atoms: Atoms, unit: str | None) -> Atoms:
    return {k: v for k, v in atoms.items() if unit is None or k[0] == unit}


def _published(atoms: Atoms) -> list[tuple[frozenset[tuple[str, str]], Cell]]:
    """Every figure the service could publish for the calls column: each scope, period and
    date range, with the set of (unit, month) atoms it adds up."""
    months = [f"2025-{m:02d}" for m in range(1, 7)]
    found = []
    for unit, period in itertools.product((None, "force-a", "force-b"), ("month", "quarter", "year")):
        for i, j in itertools.combinations_with_replacement(range(6), 2):
            scope = _only(atoms, unit)
            table = build_table(StatsQuery(months[i], months[j], unit, period), scope)
            found += _figures(table, scope, months[i : j + 1])
    return found


def _figures(
    table: StatsTable, scope: Atoms, months: list[str]
) -> list[tuple[frozenset[tuple[str, str]], Cell]]:
    cells = table.column_cells("calls")
    units = {u for (u, _m, _k) in scope}
    found = []
    for period, cell in cells:
        members = [m for m in months if m.startswith(period[:4]) and _in_period(m, period)]
        found.append((frozenset(itertools.product(units, members)), cell))
    total = table.total[[c.key for c in table.columns].index("calls")]
    found.append((frozenset(itertools.product(units, months)), total))
    return found


def _in_period(month: str, period: str) -> bool:
    if len(period) == 7 and period[4] == "-":
        return month == period
    if "Q" in period:
        return (int(month[5:]) - 1) // 3 + 1 == int(period[-1])
    return month.startswith(period)


def _candidates(atoms: Atoms, figures: list[tuple[frozenset[tuple[str, str]], Cell]]) -> set[int]:
    """The attacker: every value of the hidden count consistent with everything published,
    knowing every other count exactly (the strongest position: they are all published)."""
    target = ("force-a", "2025-02")
    known = {(u, m): v for (u, m, _k), v in atoms.items() if (u, m) != target}
    possible = set()
    for guess in range(0, 200):
        values = {**known, target: guess}
        if all(_consistent(cell, sum(values[a] for a in members)) for members, cell in figures):
            possible.add(guess)
    return possible


def _consistent(cell: Cell, value: int) -> bool:
    return cell.exact == value if cell.exact is not None else cell.low <= value <= cell.high


def test_subtraction_attack_over_every_publishable_figure_learns_nothing() -> None:
    atoms = _atoms()
    figures = _published(atoms)
    assert len(figures) > 300
    assert _candidates(atoms, figures) == {1, 2, 3, 4}


def test_the_same_attack_recovers_the_count_from_naive_exact_totals() -> None:
    """Control: publish the small cell as "fewer than 5" but totals exactly, and subtraction wins."""
    atoms = _atoms()
    naive = [
        (members, Cell(sum_, sum_, sum_) if cell.exact is None and not cell.fewer_than_5 else cell)
        for members, cell in _published(atoms)
        for sum_ in [sum(atoms[(u, m, "calls")] for u, m in members)]
    ]
    assert _candidates(atoms, naive) == {SMALL}


def test_text_and_csv_never_print_a_small_count() -> None:
    atoms = _atoms()
    table = build_table(StatsQuery("2025-01", "2025-06", "force-a", "month"), _only(atoms, "force-a"))
    text, csv = as_text(table), as_csv(table)
    assert "fewer than 5" in text and "fewer than 5" in csv
    feb = next(line for line in csv.splitlines() if line.startswith("2025-02"))
    assert feb.split(",")[1] == "fewer than 5"
    total = csv.splitlines()[-1].split(",")[1]
    assert " to " in total
