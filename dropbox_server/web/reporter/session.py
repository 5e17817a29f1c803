"""The reporter's in-memory session: created by a right receipt, ended by log out or idling."""

from __future__ import annotations

from typing import Any, NoReturn

from aiohttp import web

from dropbox_server.i18n import DEFAULT_LANGUAGE
from dropbox_server.reports.reporter_access import ReporterAccess
from dropbox_server.sessions import Session, SessionsFull
from dropbox_server.web.appkeys import LANG, SESSIONS

REPORTER_COOKIE = "tipdrop_session"


def lang_query(request: web.Request, sep: str) -> str:
    """`?lang=cy` (or `&lang=cy`) to keep a non-default language across a redirect."""
    lang = request.get(LANG, DEFAULT_LANGUAGE)
    return "" if lang == DEFAULT_LANGUAGE else f"{sep}lang={lang}"


def start_session(request: web.Request, access: ReporterAccess) -> NoReturn:
    """Open a session for a right receipt and send the reporter to the thread.

    Security: the cookie is HttpOnly and SameSite=Strict, has no expiry (it dies with the
    browser), and names only a random id; the reporter's key stays in server memory. A report
    has one live session: this one ends the report's older session, and the browser's own
    older session (another receipt checked in the same browser) ends too.
    """
    sessions = request.config_dict[SESSIONS]
    sessions.drop(request.cookies.get(REPORTER_COOKIE, ""))
    try:
        session = sessions.create(access, owner=access.report_id)
    except SessionsFull:
        raise web.HTTPServiceUnavailable() from None
    response = web.HTTPSeeOther(f"/thread{lang_query(request, '?')}")
    response.set_cookie(REPORTER_COOKIE, session.id, path="/", httponly=True, samesite="Strict")
    raise response


def current_access(request: web.Request) -> tuple[Session[Any], ReporterAccess]:
    """The session behind this request, or a redirect to check back when it has expired."""
    session = request.config_dict[SESSIONS].get(request.cookies.get(REPORTER_COOKIE))
    if session is None or not isinstance(session.payload, ReporterAccess):
        raise web.HTTPSeeOther(f"/check?result=expired{lang_query(request, '&')}")
    return session, session.payload
