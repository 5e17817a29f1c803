"""The "Getting support" page: services a reporter may need, as the deployment lists them."""

from __future__ import annotations

from aiohttp import web

from dropbox_server.support import DEFAULT_SUPPORT, TOPICS
from dropbox_server.web.appkeys import SUPPORT
from dropbox_server.web.rendering import render


async def support_page(request: web.Request) -> web.Response:
    """Each topic with its services, in the order the deployment lists them."""
    support = request.config_dict.get(SUPPORT, DEFAULT_SUPPORT)
    sections = [
        (topic, heading, [s for s in support.services if s.topic == topic])
        for topic, heading in TOPICS.items()
    ]
    return render(request, "reporter/support.html", {"sections": [s for s in sections if s[2]]})
