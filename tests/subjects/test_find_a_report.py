"""Find a report: the inbox searched by report id, collar number and name (through the keyed
digests), combined with the filters that exist."""

from __future__ import annotations

from urllib.parse import urlencode

from dropbox_server.forces import DESK_ID
from tests.desk.flow import CHECKLIST, draft_action, draft_package
from tests.investigator.conftest import Workspace, submit
from tests.investigator.driver import Investigator, report_ids, text_of


async def _found(who: Investigator, **query: str) -> list[str]:
    status, page = await who.get("/inbox?" + urlencode(query))
    assert status == 200, page[:2000]
    return sorted(report_ids(page))


async def test_search_by_id_collar_and_name_with_filters(workspace: Workspace) -> None:
    _, a = await submit(workspace, force="kent-police", collar_number="KT 4417", subject_name="John Smith")
    _, b = await submit(workspace, force="kent-police", collar_number="kt4417", conduct="discrimination")
    _, c = await submit(workspace, force="essex-police", collar_number="KT4417", subject_name="JOHN smith")
    _, unopened = await submit(workspace, force="kent-police", collar_number="KT 4417")
    ann = await workspace.signed_in("ann", DESK_ID, "desk_analyst")
    for rid in (a, b, c):
        await ann.open_report(rid)

    assert await _found(ann, id=a) == [a]
    assert await _found(ann, id=f" {a.upper()} ") == [a]
    assert await _found(ann, id="nosuchreport") == []
    # Any force: the number with every force; one force: only that force's.
    assert await _found(ann, collar="KT-4417") == sorted([a, b, c])
    assert await _found(ann, collar="kt 4417", collar_force="kent-police") == sorted([a, b])
    assert await _found(ann, collar="KT 4417", collar_force="essex-police") == [c]
    assert await _found(ann, collar="KT 9999") == []
    assert await _found(ann, name="john  SMITH") == sorted([a, c])
    # Combined with the filters that exist, and the count of matches says so.
    assert await _found(ann, collar="KT4417", named="kent-police") == sorted([a, b])
    assert await _found(ann, collar="KT4417", conduct="discrimination") == [b]
    _, page = await ann.get("/inbox?" + urlencode({"collar": "KT4417", "named": "kent-police"}))
    assert "2 of 4 reports match." in text_of(page)
    assert 'value="KT4417"' in page  # the search stays in the form
    # A report nobody in the unit has opened has no digests yet, so it is not found by number.
    assert unopened not in await _found(ann, collar="KT4417")
    await ann.open_report(unopened)
    assert unopened in await _found(ann, collar="KT4417")


async def test_a_unit_finds_only_its_own_reports(workspace: Workspace) -> None:
    _, a = await submit(workspace, force="kent-police", collar_number="KT 4417")
    ann = await workspace.signed_in("ann", DESK_ID, "desk_analyst")
    await ann.open_report(a)
    kim = await workspace.signed_in("kim", "kent-police")
    assert await _found(kim, id=a) == []
    assert await _found(kim, collar="KT 4417") == []


async def test_search_that_cannot_be_what_it_asks_is_refused_kindly(workspace: Workspace) -> None:
    ann = await workspace.signed_in("ann", DESK_ID, "desk_analyst")
    status, page = await ann.get("/inbox?" + urlencode({"collar": "K" * 41}))
    assert status == 400 and "That is too long to search for." in text_of(page)
    status, page = await ann.get("/inbox?" + urlencode({"name": "-- --"}))
    assert status == 400 and "Type letters or numbers to search for." in text_of(page)


async def test_a_force_finds_its_packages_by_collar_number(workspace: Workspace) -> None:
    """Issue 19: a package names its subject (in the analyst's words), so the receiving force's
    search by collar number finds it as it finds its own reports. Before, packages were never
    marked and the search found nothing."""
    _, source = await submit(workspace, force="kent-police", collar_number="KT 4417")
    ann = await workspace.signed_in("ann", DESK_ID, "desk_analyst")
    sue = await workspace.signed_in("sue", DESK_ID, "desk_supervisor")
    await ann.open_report(source)
    draft_id = await draft_package(ann, source, "kent-police", collar_number="KT 4417")
    assert (await draft_action(ann, draft_id, "submit", {}))[0] == 303
    assert (await draft_action(sue, draft_id, "approve", CHECKLIST))[0] == 303
    kim = await workspace.signed_in("kim", "kent-police")
    (package,) = await _found(kim)
    await kim.open_report(package)  # marked when the unit first opens it, like a report
    assert await _found(kim, collar="kt-4417") == [package]
    assert await _found(kim, collar="KT4417", collar_force="kent-police") == [package]
    assert await _found(kim, collar="KT 9999") == []
    assert await _found(ann, collar="KT4417") == [source]  # the desk's own search is unchanged
