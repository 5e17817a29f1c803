"""Where a thread skips a position (insider finding N3): the pure rules of reports/thread_gaps.py."""

from __future__ import annotations

from dropbox_server.reports.thread_gaps import gaps_before, missing_positions


def test_a_position_missing_between_two_items_is_marked_before_the_next_one_shown() -> None:
    missing = missing_positions([1, 2, 4, 5, 7], has_contact=False)
    assert missing == {3, 6}
    assert gaps_before([2, 4, 5, 7], missing) == {4, 7}
    # Items not shown in a view (notes on the reporter's page) hold their positions: no gap.
    assert gaps_before([2, 7], missing_positions([1, 2, 3, 4, 5, 6, 7], has_contact=False)) == set()


def test_the_contact_position_may_go_only_for_a_report_that_had_contact_details() -> None:
    assert missing_positions([1, 3, 4], has_contact=True) == set()  # passed on without them
    assert missing_positions([1, 3, 4], has_contact=False) == {2}
    assert missing_positions([1, 2, 4], has_contact=True) == {3}


def test_the_newest_item_gone_leaves_no_gap_the_stated_limit() -> None:
    assert missing_positions([1, 2, 3], has_contact=False) == set()
    assert missing_positions([], has_contact=False) == set()
