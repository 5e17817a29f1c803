"""Generated input against every form of the investigator site, signed in and signed out."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.investigator.conftest import Workspace, submit
from tests.journeys import csrf_from, raw_multipart
from tests.robustness.test_fuzz_reporter import ODD_TEXT, Tally

FIELDS = [
    "username",
    "password",
    "code",
    "csrf_token",
    "reply",
    "note",
    "outcome",
    "reason",
    "to_unit",
    "transfer_reason",
    "override",
    "after",
    "before",
    "conduct",
    "channel",
    "secret",
    "attachments",
]
ACTIONS = ["reply", "note", "outcome", "transfer", "files"]


def cases(report_id: str) -> st.SearchStrategy[dict]:
    paths = [
        "/",
        "/sign-in",
        "/sign-out",
        "/inbox",
        "/passed-on",
        "/account/authenticator",
        f"/reports/{report_id}",
        *(f"/reports/{report_id}/{a}" for a in ACTIONS),
        "/reports/zzzz/reply",
        f"/reports/{report_id}/files/{'0' * 32}",
        "/inbox?before=%FF&outcome=<x>",
    ]
    return st.fixed_dictionaries(
        {
            "method": st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
            "path": st.sampled_from(paths),
            "encoding": st.sampled_from(
                ["multipart", "multipart+files", "urlencoded", "application/json", ""]
            ),
            "fields": st.dictionaries(st.sampled_from(FIELDS), ODD_TEXT, max_size=10),
            "valid_token": st.booleans(),
            "signed_in": st.booleans(),
        }
    )


async def test_generated_requests_never_crash_the_investigator_site(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    inside = await workspace.signed_in("fuzzy", "kent-police")
    outside = await workspace.enrol("outsider", "kent-police")
    examples: list[dict] = []

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(cases(report_id))
    def collect(case: dict) -> None:
        examples.append(case)

    collect()
    tally = Tally()
    for case in examples:
        who = inside if case["signed_in"] else outside
        fields = dict(case["fields"])
        if case["valid_token"]:
            _, page = await who.get("/inbox" if case["signed_in"] else "/sign-in")
            if 'name="csrf_token"' in page:
                fields["csrf_token"] = csrf_from(page)
        if case["encoding"] in ("multipart", "multipart+files"):
            files = [("attachments", "evidence.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 4)]
            encoded = {k: v.encode("utf-8", "surrogatepass") for k, v in fields.items()}
            body, headers = raw_multipart(
                encoded, files=files if case["encoding"] == "multipart+files" else []
            )
        elif case["encoding"] == "urlencoded":
            body = io.BytesIO(urlencode(fields, errors="surrogatepass").encode())
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        else:
            body, headers = io.BytesIO(b"\x00{not json"), {"Content-Type": case["encoding"]}
        url = workspace.investigator_url + case["path"]
        async with who.http.request(
            case["method"], url, data=body, headers=headers, allow_redirects=False
        ) as resp:
            tally.record(resp.status, await resp.text(errors="replace"))
        if case["signed_in"]:
            status, _ = await inside.get("/inbox", follow=False)
            if status != 200:  # the case signed us out: sign in again with a fresh code
                workspace.clock.advance(30)
                await inside.sign_in()
    print(
        f"fuzz (investigator): {tally.requests} requests, {tally.server_errors} 5xx, {tally.tracebacks} tracebacks"
    )
    assert tally.requests == len(examples) >= 300
    assert tally.server_errors == 0
    assert tally.tracebacks == 0
