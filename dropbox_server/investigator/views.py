"""Investigator site handlers."""

from __future__ import annotations

from aiohttp import web

from dropbox_server.rendering import render


async def home(request: web.Request) -> web.Response:
    return render(request, "investigator/home.html")
