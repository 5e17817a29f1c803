"""The investigator site's route table."""

from __future__ import annotations

from aiohttp import web

from dropbox_server.investigator import views

ROUTES = [
    web.get("/", views.home, name="home"),
]
