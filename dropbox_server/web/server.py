"""Serving one site: aiohttp's connection handler with our pages, timeouts and a connection cap.

aiohttp answers some requests before any application code runs: a request line it cannot
parse, a header over its size limits, an impossible Content-Length. Its own answer is a
plain-text 400 that echoes the offending bytes, carries `Server: Python/... aiohttp/...` and
none of our headers, and its handler logs the full traceback, request bytes included. Here
the handler's error hook renders the site's own friendly page through the application (so
the response passes the same `on_response_prepare` hooks as every other) and logs nothing
from the request.

Security: keeps invariants 3 and 7 for responses aiohttp makes itself, and keeps request
bytes out of the logs (invariant 1). Connections that never finish their headers are closed
after `header_timeout_seconds`; beyond `max_connections` new ones are closed at once, so a
flood of half-open connections cannot exhaust the file descriptors both sites share.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse
from aiohttp.web_server import Server
from aiohttp.web_urldispatcher import MatchInfoError

from dropbox_server.config import ConnectionLimits, Settings
from dropbox_server.web.middlewares import error_page

log = logging.getLogger("tipdrop.http")


class _GuardedHandler(RequestHandler):
    """One connection: refused beyond the cap; protocol errors answered with our page."""

    def __init__(self, manager: GuardedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard = manager

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if len(self._guard.connections) >= self._guard.max_connections:
            # Over the cap: close before any state is set up; aiohttp's connection_lost copes
            # with a handler whose connection was never made.
            self._guard.refused += 1
            if isinstance(transport, asyncio.Transport):
                transport.abort()
            else:
                transport.close()
            return
        super().connection_made(transport)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> StreamResponse:
        """The site's friendly page for an error aiohttp met outside the application.

        Security: nothing of the request (its line, headers, the parser's message, which
        quotes them) is logged or echoed; a 5xx logs its exception type only.
        """
        if status >= 500:
            log.error("request failed outside the application: %s", type(exc).__name__)
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already under way")
        page = _site_error_page(self._guard.app, request, status)
        page.force_close()
        return page


def _site_error_page(app: web.Application, request: BaseRequest, status: int) -> web.StreamResponse:
    """Render the site's error page for a request the router never saw."""
    if not isinstance(request, web.Request):
        return web.Response(status=status, text="Error", content_type="text/plain")
    if request._match_info is None:
        # aiohttp failed to parse the request, so nothing routed it. Give it the match
        # information of a refused route in this application, as aiohttp's router does for
        # a path it does not know: then `config_dict` works and every `on_response_prepare`
        # hook (the security headers) runs on this response like on any other.
        info = MatchInfoError(web.HTTPBadRequest())
        info.add_app(app)
        info.freeze()
        request._match_info = info
    return error_page(request, status if 400 <= status < 600 else 500)


class GuardedServer(Server):
    """aiohttp's server with our connection handler, a connection cap and a header timeout."""

    def __init__(self, app: web.Application, base: Server, limits: ConnectionLimits, max_connections: int):
        super().__init__(
            base.request_handler,
            request_factory=base.request_factory,
            handler_cancellation=base.handler_cancellation,
            # aiohttp's keep-alive timer also runs from the moment a connection opens until
            # its request's headers are complete, so it is the header timeout as well.
            keepalive_timeout=limits.header_timeout_seconds,
            access_log=None,
            max_line_size=limits.max_line_bytes,
            max_field_size=limits.max_line_bytes,
            max_headers=limits.max_headers,
            lingering_time=limits.lingering_seconds,
        )
        self.app = app
        self.max_connections = max_connections
        self.refused = 0

    def __call__(self) -> RequestHandler:
        return _GuardedHandler(self, loop=self._loop, **self._kwargs)


class SiteRunner(web.AppRunner):
    """AppRunner whose server is a GuardedServer. Access logs are off.

    Security: no access log means no IP address, user agent or request time is written.
    """

    def __init__(self, app: web.Application, limits: ConnectionLimits, max_connections: int):
        super().__init__(app, access_log=None, handle_signals=False)
        self._limits = limits
        self._max_connections = max_connections

    async def _make_server(self) -> Server:
        base = await super()._make_server()
        return GuardedServer(self.app, base, self._limits, self._max_connections)


async def start_site(
    app: web.Application, settings: Settings, port: int, max_connections: int
) -> SiteRunner:
    """Serve `app` on 127.0.0.1:`port` (0 picks a free port) until the runner is cleaned up."""
    runner = SiteRunner(app, settings.connections, max_connections)
    await runner.setup()
    await web.TCPSite(runner, settings.host, port, reuse_address=True).start()
    return runner
