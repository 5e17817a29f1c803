"""The pre-session cookie: what ties a reporter's forms to one browser before any receipt.

Security: a random id only, HttpOnly and SameSite=Strict, with no expiry (it dies with the
browser). Forms shown before a session carry CSRF tokens bound to it, so a token fetched
by another site (or another browser) is worthless here; a receipt waiting to be shown once
is found by it. It names nothing and is never stored.
"""

from __future__ import annotations

import re
import secrets

from aiohttp import web

PRESESSION_COOKIE = "tipdrop_form"
_NEW = web.RequestKey("presession_new", str)
_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


def presession_id(request: web.Request) -> str:
    """This browser's pre-session id, made (and set on the response) if it has none."""
    if _NEW in request:
        return request[_NEW]
    sent = request.cookies.get(PRESESSION_COOKIE, "")
    if _ID.match(sent):
        return sent
    request[_NEW] = secrets.token_urlsafe(32)
    return request[_NEW]


def sent_presession_id(request: web.Request) -> str | None:
    """The id the browser sent (None if it sent none or a malformed one); never makes one."""
    sent = request.cookies.get(PRESESSION_COOKIE, "")
    return sent if _ID.match(sent) else None


async def set_presession_cookie(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: send a pre-session id made while handling this request.

    The headers are already built when this signal runs, so the cookie is added as a header
    (the id is URL-safe base64: nothing in it needs quoting).
    """
    if _NEW in request:
        cookie = f"{PRESESSION_COOKIE}={request[_NEW]}; HttpOnly; Path=/; SameSite=Strict"
        response.headers.add("Set-Cookie", cookie)
