"""Small-number protection: no published figure lets anyone work out a count from 1 to 4.

The rule. The smallest thing counted is an *atom*: one column, one unit, one month. An atom
from 1 to 4 is never published; it is "fewer than 5". Every figure shown (a month, a quarter,
a year, a total, a national figure) is a sum of atoms, and it is shown exactly only when none
of its atoms is from 1 to 4. Otherwise it is shown as the range it is known to lie in from
the protected atoms alone: exact part + 1 × (number of small atoms) to exact part + 4 × (that
number); a single small atom on its own is "fewer than 5".

Why it holds. Everything the service can ever publish (any scope, period, date range or
format) is computed from the atom table with small atoms replaced by "1 to 4". So no
combination of published figures, subtracted or compared in any way, tells more about an
atom than "1 to 4": a total minus its shown months, a quarter minus two of its months,
January-to-March minus February-to-March, and the nation minus every other force all land
on a range, never on the number. Zero is shown as 0: that nobody reported is not a person.

Security: this is the only place counts become published figures; the CLI, the supervisor
page and every output format go through `protect`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dropbox_server.i18n import lazy

SMALL_MAX = 4
FEWER_THAN_5 = lazy("fewer than 5")


def is_small(count: int) -> bool:
    """A count that identifies too few people to publish."""
    return 1 <= count <= SMALL_MAX


@dataclass(frozen=True)
class Cell:
    """A published figure: exact, or only the range [low, high] it is known to lie in."""

    exact: int | None
    low: int
    high: int

    @property
    def protected(self) -> bool:
        return self.exact is None

    @property
    def fewer_than_5(self) -> bool:
        """A protected figure that is all we may say: somewhere from 1 to 4."""
        return self.exact is None and self.high <= SMALL_MAX

    @property
    def sort_value(self) -> int:
        """A value to draw or compare with: the exact figure, or the low end of the range."""
        return self.exact if self.exact is not None else self.low


def protect(atoms: Iterable[int]) -> Cell:
    """The published figure for the sum of `atoms`.

    Security: a small atom contributes only what its "fewer than 5" already says (1 to 4),
    so the result never narrows it further.
    """
    exact_part, small = 0, 0
    for count in atoms:
        if count < 0:
            raise ValueError("counts are never negative")
        if is_small(count):
            small += 1
        else:
            exact_part += count
    if small == 0:
        return Cell(exact_part, exact_part, exact_part)
    return Cell(None, exact_part + small, exact_part + SMALL_MAX * small)
