"""Did this visitor come through the HTTPS door (deploy/caddy) rather than the onion?

Caddy, the door, sets `X-Tipdrop-Door: https` on every request it passes on, replacing any
header of that name a visitor sent. The reporter site believes it only when the deployment
turned the door on (`serve --https-door`) and the request came from 127.0.0.1, where Caddy
and tor both connect from. A Tor Browser user who forges the header only sees the advice
meant for browser users: the header decides what advice is shown, and nothing else.
"""

from __future__ import annotations

from aiohttp import web

from dropbox_server.config import LOOPBACK
from dropbox_server.web.appkeys import SETTINGS

DOOR_HEADER = "X-Tipdrop-Door"
DOOR_VALUE = "https"


def came_through_door(request: web.Request) -> bool:
    """True for a request Caddy passed on, on a deployment with the door turned on.

    Security: the door's visitors are told that Tor Browser is safer and why. Only whether
    the connection is from 127.0.0.1 is looked at (Caddy strips the visitor's address and
    browser before this site); the answer is never stored or logged.
    """
    return (
        request.config_dict[SETTINGS].https_door
        and request.remote == LOOPBACK
        and request.headers.get(DOOR_HEADER) == DOOR_VALUE
    )
