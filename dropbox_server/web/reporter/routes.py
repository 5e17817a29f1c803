"""The reporter site's route table."""

from __future__ import annotations

from aiohttp import web

from dropbox_server.web.appkeys import SwitchPaths
from dropbox_server.web.reporter import support_views, views

ROUTES = [
    web.get("/", views.landing, name="landing"),
    web.get("/report", views.report_form, name="report"),
    web.post("/report", views.report_submit),
    web.get("/receipt", views.receipt_page, name="receipt"),
    web.get("/check", views.check_form, name="check"),
    web.post("/check", views.check_submit),
    web.get("/thread", views.thread, name="thread"),
    web.post("/thread/message", views.thread_message, name="thread_message"),
    web.get(r"/thread/files/{file_id:[0-9a-f]{32}}", views.thread_file, name="thread_file"),
    web.get("/thread/withdraw", views.withdraw_form, name="withdraw"),
    web.post("/thread/withdraw", views.withdraw_submit),
    web.get("/withdrawn", views.withdrawn, name="withdrawn"),
    web.post("/logout", views.logout, name="logout"),
    web.get("/support", support_views.support_page, name="support"),
]

# A language link on a POST's answer: the report form and check-back show again on a GET, the
# thread's actions land on the thread, anything else on the start page.
SWITCH_PATHS = SwitchPaths(refetch=frozenset({"/report", "/check"}), sections=("/thread",))
