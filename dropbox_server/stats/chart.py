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


def _nice_top(value: int) -> int:
    """A round axis top at or above `value` (1, 2, 5 × a power of ten)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def bar_chart(table: StatsTable, column: str) -> Chart:
    """Bars for `column` of `table`, one per period, with a 0–top axis in five ticks."""
    cells = table.column_cells(column)
    top = _nice_top(max([c.high for _, c in cells] + [1]))
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
    ticks = tuple(Tick(round(TOP + plot_h - plot_h * k / 4, 1), f"{top * k // 4:,}") for k in range(5))
    return Chart(WIDTH, HEIGHT, LEFT, TOP + plot_h, WIDTH - RIGHT, tuple(bars), ticks)
