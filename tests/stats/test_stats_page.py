"""The supervisors' statistics page: a chart drawn on the server and a table of the same figures."""

from __future__ import annotations

import re

from dropbox_server.clock import today
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import text_of


async def test_only_supervisors_see_statistics(workspace: Workspace) -> None:
    for name, role in (("alice", "investigator"), ("carol", "call_handler")):
        who = await workspace.signed_in(name, "kent-police", role)
        status, _ = await who.get("/statistics")
        assert status == 403, role
    boss = await workspace.signed_in("sam", "kent-police", "supervisor")
    status, page = await boss.get("/statistics")
    assert status == 200 and "<svg" in page


async def test_chart_and_table_show_the_same_protected_figures(workspace: Workspace) -> None:
    for _ in range(6):
        await submit(workspace, channel="phone")
    for _ in range(2):
        await submit(workspace)
    await submit(workspace, force="essex-police", channel="phone")
    boss = await workspace.signed_in("sam", "kent-police", "supervisor")
    month = today()[:7]
    status, page = await boss.get(f"/statistics?from={month}&to={month}&figure=calls")
    assert status == 200
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert '<title id="chart-title">' in svg and '<desc id="chart-desc">' in svg
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-desc"' in svg
    assert f"<title>{month}: 6</title>" in svg
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    cells = [text_of(c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", body)]
    assert cells[:4] == [month, "6", "fewer than 5", "8"]  # calls, online (2), received
    assert "style=" not in page and "<script" not in page
    _, national = await boss.get(f"/statistics?from={month}&to={month}&scope=national&figure=calls")
    assert f"<title>{month}: 7 to 10</title>" in national  # Kent 6, Essex 1 (a small count: 1 to 4)


async def test_bad_months_fall_back_with_a_message(workspace: Workspace) -> None:
    boss = await workspace.signed_in("sam", "kent-police", "supervisor")
    status, page = await boss.get("/statistics?from=2025-13&to=2025-01")
    assert status == 400 and "YEAR-MONTH" in page and "<svg" in page
    status, page = await boss.get("/statistics?from=2025-01&to=2024-12&period=decade&scope=x&figure=y")
    assert status == 400


async def test_a_refusal_names_the_viewers_own_role_and_what_they_can_do(workspace: Workspace) -> None:
    """An investigator on /statistics is told they are an investigator, not about call handlers."""
    alice = await workspace.signed_in("alice", "kent-police", "investigator")
    status, page = await alice.get("/statistics")
    text = text_of(page)
    assert status == 403
    assert "You are signed in as an investigator." in text
    assert "As an investigator you read and work on your unit's reports" in text
    assert "call handler" not in text.lower()
    assert '<a href="/inbox">Go to your inbox</a>' in page
    carol = await workspace.signed_in("carol", "kent-police", "call_handler")
    status, page = await carol.get("/statistics?lang=cy")
    assert status == 403 and 'href="/intake?lang=cy"' in page
    status, page = await carol.get("/inbox")
    assert status == 403 and "You are signed in as a call handler." in text_of(page)
    assert '<a href="/intake">Take a report by phone</a>' in page


def _ticks(page: str) -> list[str]:
    svg = page[page.index("<svg") : page.index("</svg>")]
    return re.findall(r'text-anchor="end"[^>]*>([^<]*)</text>', svg)


async def test_the_axis_has_whole_distinct_ticks_and_protected_bars_are_labelled(
    workspace: Workspace,
) -> None:
    """Two online reports (a small count): the axis read "0, 0, 0, 0, 1" before; now whole numbers only,
    and the bar says "<5" on the chart as "fewer than 5" does in the table."""
    for _ in range(2):
        await submit(workspace)
    boss = await workspace.signed_in("sam", "kent-police", "supervisor")
    month = today()[:7]
    _, page = await boss.get(f"/statistics?from={month}&to={month}&figure=online")
    ticks = _ticks(page)
    assert ticks == ["0", "1", "2", "3", "4"], ticks  # the protected bar reaches 4 at most
    label = re.search(r'class="protected-label"[^>]*>([^<]*(?:<5)?[^<]*)</text>', page)
    assert label, page[page.index("<svg") : page.index("</svg>")]
    assert label.group(1) == "&lt;5", label.group(1)
    _, page = await boss.get(f"/statistics?from={month}&to={month}&figure=calls")
    ticks = _ticks(page)
    assert len(set(ticks)) == len(ticks) and all(t.isdigit() for t in ticks), ticks
