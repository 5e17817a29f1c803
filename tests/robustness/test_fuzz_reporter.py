"""Generated input against every form of the reporter site: never a 5xx, never a traceback."""

from __future__ import annotations

import io

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Sites
from tests.journeys import Reporter, csrf_from, raw_multipart, report_fields

FIELD_NAMES = [*report_fields().keys(), "csrf_token", "receipt", "message", "conflict", "contact_scope"]
ODD_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.sampled_from(["", " ", "\x00", "\u202e", "\ud7ff", "🙂" * 50, "a" * 5000, "<script>", "%FF", "&=&="]),
)
RAW_BYTES = st.binary(max_size=400)
PATHS = [
    "/",
    "/report",
    "/check",
    "/thread",
    "/thread/message",
    "/thread/files/0",
    "/logout",
    "/static/site.css",
    "/x",
]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
TRACEBACK_SIGNS = ("Traceback", 'File "/', "aiohttp.web_exceptions")


class Tally:
    def __init__(self) -> None:
        self.requests = 0
        self.server_errors = 0
        self.tracebacks = 0

    def record(self, status: int, body: str) -> None:
        self.requests += 1
        self.server_errors += status >= 500
        self.tracebacks += any(s in body for s in TRACEBACK_SIGNS)


async def fuzz_once(base: str, tally: Tally, case: dict) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        reporter = Reporter(http, base)
        if case["valid_token"]:
            _, page = await reporter.get("/report")
            case["fields"]["csrf_token"] = csrf_from(page)
        if case["encoding"] == "multipart":
            body, headers = raw_multipart(
                {k: v.encode("utf-8", "surrogatepass") for k, v in case["fields"].items()}
            )
        elif case["encoding"] == "urlencoded":
            from urllib.parse import urlencode

            body = io.BytesIO(urlencode(case["fields"], errors="surrogatepass").encode())
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        else:
            body, headers = io.BytesIO(case["raw"]), {"Content-Type": case["encoding"]}
        async with http.request(case["method"], base + case["path"], data=body, headers=headers) as resp:
            tally.record(resp.status, await resp.text(errors="replace"))


CASES = st.fixed_dictionaries(
    {
        "method": st.sampled_from(METHODS),
        "path": st.sampled_from(PATHS),
        "encoding": st.sampled_from(
            [
                "multipart",
                "multipart+files",
                "urlencoded",
                "application/json",
                "multipart/form-data",
                "text/plain",
                "",
            ]
        ),
        "fields": st.dictionaries(st.sampled_from(FIELD_NAMES), ODD_TEXT, max_size=12),
        "raw": RAW_BYTES,
        "valid_token": st.booleans(),
        "files": st.lists(
            st.tuples(
                st.sampled_from(["attachments", "files", "message"]),
                st.text(max_size=40).filter(lambda n: '"' not in n and "\r" not in n and "\n" not in n),
                RAW_BYTES,
            ),
            max_size=4,
        ),
    }
)


async def test_generated_requests_never_crash(sites: Sites) -> None:
    tally = Tally()
    examples: list[dict] = []

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(CASES)
    def collect(case: dict) -> None:
        examples.append(case)

    collect()
    for case in examples:
        await fuzz_once(sites.reporter_url, tally, case)
    print(f"fuzz: {tally.requests} requests, {tally.server_errors} 5xx, {tally.tracebacks} with a traceback")
    assert tally.requests == len(examples) >= 300
    assert tally.server_errors == 0
    assert tally.tracebacks == 0
