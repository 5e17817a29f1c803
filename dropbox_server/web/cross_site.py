"""Refuse form posts that another site made the reporter's browser send.

The decision, by what the browser sends:
- `Sec-Fetch-Site` (Tor Browser and Chromium on trustworthy origins send it): only
  `same-origin`, or `none` (the person resent the form themselves), may post.
- Otherwise `Origin`, when it names an origin, must be this site's own (scheme and host as
  the browser reached us: the onion address behind Tor).
- `Origin: null` or no `Origin` at all is let through here: browsers send `null` on every
  form post from a page with `Referrer-Policy: no-referrer` (ours) and some send nothing, so
  refusing them would refuse real reporters. Those posts are still bound by their CSRF token
  to the pre-session or session cookie, which is `SameSite=Strict`: a browser never sends it
  with a post another site started, so the token cannot match.
Each .onion address is its own site (`onion` is a public suffix), so another onion is
cross-site, never same-site.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from dropbox_server.i18n import lazy
from dropbox_server.web.middlewares import error_page

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})
REFUSED = lazy("This form was sent from another website, so it was not accepted. Nothing was sent.")


def is_cross_site(request: web.Request) -> bool:
    """True when the browser says (or its Origin shows) that another site started this post."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site.lower() not in _ALLOWED_FETCH_SITES
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return False
    parts = urlsplit(origin)
    return parts.scheme not in ("http", "https") or parts.netloc.lower() != request.host.lower()


@web.middleware
async def refuse_cross_site(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 with a friendly page, before any of the body is read.

    Security: stops another onion from posting a receipt (the victim would then write into
    the attacker's report) or a report from a reporter's browser.
    """
    if request.method not in _SAFE_METHODS and is_cross_site(request):
        return error_page(request, 403, REFUSED)
    return await handler(request)
