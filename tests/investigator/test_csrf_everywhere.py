"""Every POST route of both sites refuses a request without a valid CSRF token, even signed in."""

from __future__ import annotations

import re

from aiohttp import web

from dropbox_server.app import create_investigator_app, create_reporter_app
from tests.investigator.conftest import Workspace, submit
from tests.journeys import Reporter, multipart


def post_paths(app: web.Application, report_id: str) -> list[str]:
    paths = []
    for route in app.router.routes():
        if route.method != "POST" or route.resource is None:
            continue
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter", "")
        path = re.sub(r"\{report_id[^}]*\}", report_id, path)
        paths.append(re.sub(r"\{(draft|request)_id[^}]*\}", "1", path))  # the desk's numbered pages
    return paths


async def test_signed_in_posts_without_token_are_refused(workspace: Workspace) -> None:
    _, report_id = await submit(workspace)
    alice = await workspace.signed_in("alice", "kent-police")
    app = create_investigator_app(workspace.settings, workspace.services)
    # /enrol/account acts only inside an enrolment session (its own cookie, its own token,
    # checked there); without one it changes nothing and sends the browser back to /enrol.
    paths = [p for p in post_paths(app, report_id) if p not in ("/sign-in", "/enrol/account")]
    assert len(paths) >= 6
    async with alice.http.post(
        workspace.investigator_url + "/enrol/account", data={"password": "x"}, allow_redirects=False
    ) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/enrol?result=expired"
    for path in paths:
        for token in (None, "forged.token.value"):
            data = {"reply": "x", "note": "x", "outcome": "assessing", "reason": "x"}
            if token:
                data["csrf_token"] = token
            async with alice.http.post(
                workspace.investigator_url + path, data=data, allow_redirects=False
            ) as resp:
                await resp.read()
                assert resp.status == 403, (path, token, resp.status)
                assert "Set-Cookie" not in resp.headers
    status, _ = await alice.get("/inbox", follow=False)
    assert status == 200, "a refused POST must not end the session"
    row = await workspace.services.db.fetch_one(
        "SELECT count(*) FROM items WHERE kind IN ('unit_reply', 'note')"
    )
    assert row is not None and row[0] == 0
    row = await workspace.services.db.fetch_one("SELECT outcome FROM reports WHERE id = ?", (report_id,))
    assert row is not None and row[0] == "new"


async def test_sign_in_without_token_is_refused(workspace: Workspace) -> None:
    alice = await workspace.enrol("alice", "kent-police")
    data = {"username": "alice", "password": alice.password, "code": alice.code()}
    async with alice.http.post(
        workspace.investigator_url + "/sign-in", data=data, allow_redirects=False
    ) as resp:
        assert resp.status == 403
        assert "Set-Cookie" not in resp.headers


async def test_reporter_posts_in_a_session_without_token_are_refused(workspace: Workspace) -> None:
    import aiohttp

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        reporter = Reporter(http, workspace.reporter_url)
        receipt = await reporter.submit_ok()
        await reporter.open_thread(receipt)
        app = create_reporter_app(workspace.settings, workspace.services)
        for path in post_paths(app, ""):
            async with http.post(
                workspace.reporter_url + path, data=multipart({"message": "x", "receipt": receipt})
            ) as resp:
                await resp.read()
                assert resp.status in (401, 403), (path, resp.status)
        status, _ = await reporter.get("/thread")
        assert status == 200
