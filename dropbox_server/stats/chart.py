"""Geometry of a server-drawn bar chart for one published column (no JavaScript, no styles).

Only published cells are drawn: a protected figure is drawn to the low end of its range in a
paler colour and labelled with its words, so the chart never shows more than the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server.stats.protection import Cell
from dropbox_server.stats.table import StatsTable

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 24, 48
MAX_LABELS = 16


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the period, shown under the bar (or "" when labels are thinned)
    period: str
    cell: Cell


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    plot_right: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]


MAX_INTERVALS = 5


def _axis(value: int) -> tuple[int, int]:
    """(step, intervals): whole-number ticks 0, step, ... reaching at least `value`.

    Counts are whole, so the step is a whole 1, 2 or 5 × a power of ten and never repeats
    a label (a top of 1 gave "0, 0, 0, 0, 1" when a fixed four intervals were cut from it).
    """
    value = max(value, 1)
    power = 1
    while True:
        for m in (1, 2, 5):
            step = m * power
            intervals = -(-value // step)
            if intervals <= MAX_INTERVALS:
                return step, intervals
        power *= 10


def bar_chart(table: StatsTable, column: str) -> Chart:
    """Bars for `column` of `table`, one per period, with a 0–top axis in whole-number ticks."""
    cells = table.column_cells(column)
    step, intervals = _axis(max([c.high for _, c in cells] + [1]))
    top = step * intervals
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(cells))
    every = max(1, -(-len(cells) // MAX_LABELS))
    bars = []
    for i, (period, cell) in enumerate(cells):
        height = plot_h * cell.sort_value / top
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * 0.15, 1),
                y=round(TOP + plot_h - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                label=period if i % every == 0 else "",
                period=period,
                cell=cell,
            )
        )
    ticks = tuple(
        Tick(round(TOP + plot_h - plot_h * k / intervals, 1), f"{step * k:,}") for k in range(intervals + 1)
    )
    return Chart(WIDTH, HEIGHT, LEFT, TOP + plot_h, WIDTH - RIGHT, tuple(bars), ticks)
