"""Where a report's thread skips a position: an item deleted from the database (insider finding N3).

Every item of a report (its body, contact details, follow-ups, replies, notes) takes the next
position when stored, and nothing this service does deletes one, except passing a report on
without its contact details (the contact item, always position 2). So a position missing
between two items that are there means one was deleted, and each view marks the place.

Limit (said plainly): the newest item's deletion leaves no gap. Nothing in the database
records how long a thread was, and the next item stored takes the freed position, so a
database writer can remove the reporter's last follow-up (or the unit's last reply) without
a trace in the thread. The reporter's page numbers their own messages, so the reporter can
see one of theirs missing; nothing else on the server can.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

CONTACT_POSITION = 2  # the contact item, stored with the report (see the module docstring)


def missing_positions(present: Iterable[int], has_contact: bool) -> frozenset[int]:
    """The positions between 1 and the last present one that hold no item and should."""
    held = set(present)
    if not held:
        return frozenset()
    missing = set(range(1, max(held))) - held
    if has_contact:
        missing.discard(CONTACT_POSITION)  # deleted when the report was passed on without it
    return frozenset(missing)


def gaps_before(shown: Sequence[int], missing: frozenset[int]) -> frozenset[int]:
    """Of the positions shown (in order), those with a missing position just before them
    (after the one shown before it)."""
    marked: set[int] = set()
    previous = 0
    for n in shown:
        if any(previous < m < n for m in missing):
            marked.add(n)
        previous = max(previous, n)
    return frozenset(marked)
