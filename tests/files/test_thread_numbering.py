"""Threads are easy to follow: the reporter sees "your report", "your message 2, with 1 file";
staff see each file beside the message it came with."""

from __future__ import annotations

import aiohttp

from tests.files.test_both_directions import report_with
from tests.files.uploads import follow_up_with_files
from tests.investigator.conftest import Workspace
from tests.investigator.driver import text_of
from tests.journeys import Reporter


def _plain(page: str) -> str:
    return " ".join(text_of(page).split())


async def test_the_reporter_sees_numbered_messages_and_staff_see_files_beside_them(
    workspace: Workspace, http: aiohttp.ClientSession
) -> None:
    receipt, report_id = await report_with(workspace, http, [("first.txt", b"one"), ("second.txt", b"two")])
    reporter = Reporter(http, workspace.reporter_url)
    await reporter.open_thread(receipt)
    status, _ = await follow_up_with_files(reporter, "More about it", [("later.txt", b"three")])
    assert status in (200, 303)
    await reporter.follow_up("And one more thing")
    page = _plain(await reporter.open_thread(receipt))
    assert "Your report," in page and "Sent with 2 files." in page
    assert "Your message 2," in page and "Sent with 1 file." in page
    assert "Your message 3," in page and "Sent with no files." in page
    assert page.index("Your report,") < page.index("Your message 2,") < page.index("Your message 3,")
    # The reporter's own words and file names are still not shown to whoever holds the receipt.
    assert "More about it" not in page and "later.txt" not in page

    alice = await workspace.signed_in("alice", "kent-police")
    staff_page = await alice.open_report(report_id)
    fields, thread = staff_page.split("<h2>Thread</h2>")
    with_report = fields.split("Files sent with the report")[1]
    assert "first.txt" in with_report and "second.txt" in with_report and "later.txt" not in with_report
    message_2 = thread.split("The reporter's message 2,")[1].split("</li>")[0]
    assert "More about it" in message_2 and "later.txt" in message_2 and "first.txt" not in message_2
    message_3 = thread.split("The reporter's message 3,")[1].split("</li>")[0]
    assert "And one more thing" in message_3 and "Files sent with" not in message_3
