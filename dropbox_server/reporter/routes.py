"""The reporter site's route table."""

from __future__ import annotations

from aiohttp import web

from dropbox_server.reporter import views

ROUTES = [
    web.get("/", views.landing, name="landing"),
    web.get("/report", views.report_form, name="report"),
    web.post("/report", views.report_submit),
    web.get("/check", views.check_form, name="check"),
    web.post("/check", views.check_submit),
    web.get("/thread", views.thread, name="thread"),
    web.post("/thread/message", views.thread_message, name="thread_message"),
    web.post("/logout", views.logout, name="logout"),
]
