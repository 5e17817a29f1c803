"""The investigator site's route table: one declarative list, grouped by concern."""

from __future__ import annotations

from aiohttp import web

from dropbox_server.web.staff import (
    action_views,
    auth_views,
    case_views,
    enrol_views,
    health_views,
    intake_views,
    key_holder_views,
    password_views,
    stats_views,
)
from dropbox_server.web.staff import export_views as export_views
from dropbox_server.web.staff import file_views as file_views

ROUTES = [
    web.get("/intake", intake_views.intake_form, name="intake"),
    web.post("/intake", intake_views.intake_submit),
    web.get("/intake/caller", intake_views.caller_form, name="intake_caller"),
    web.post("/intake/caller", intake_views.caller_open),
    web.post("/intake/caller/follow-up", intake_views.caller_follow_up),
    web.post("/intake/caller/end", intake_views.caller_end),
    web.get("/statistics", stats_views.statistics_page, name="statistics"),
    web.get("/health", health_views.health_page, name="health"),
    web.get("/", auth_views.home, name="home"),
    web.get("/sign-in", auth_views.sign_in_form, name="sign_in"),
    web.post("/sign-in", auth_views.sign_in_submit),
    web.post("/sign-out", auth_views.sign_out, name="sign_out"),
    web.get("/enrol", enrol_views.code_form, name="enrol"),
    web.post("/enrol", enrol_views.code_submit),
    web.get("/enrol/account", enrol_views.account_form, name="enrol_account"),
    web.post("/enrol/account", enrol_views.account_submit),
    web.get("/account/authenticator", auth_views.authenticator_form, name="authenticator"),
    web.post("/account/authenticator", auth_views.authenticator_submit),
    web.get("/account/password", password_views.password_form, name="password"),
    web.post("/account/password", password_views.password_submit),
    web.get("/key-holders", key_holder_views.key_holders, name="key_holders"),
    web.post("/key-holders/approve", key_holder_views.approve),
    web.post("/key-holders/notices/acknowledge", key_holder_views.acknowledge),
    web.get("/inbox", case_views.inbox, name="inbox"),
    web.get("/passed-on", case_views.passed_on, name="passed_on"),
    web.get(r"/reports/{report_id:[a-z0-9]{1,32}}", case_views.report_view, name="report"),
    web.post(r"/reports/{report_id:[a-z0-9]{1,32}}/reply", action_views.reply),
    web.post(r"/reports/{report_id:[a-z0-9]{1,32}}/note", action_views.note),
    web.post(r"/reports/{report_id:[a-z0-9]{1,32}}/outcome", action_views.outcome),
    web.post(r"/reports/{report_id:[a-z0-9]{1,32}}/assign", action_views.assign),
    web.post(r"/reports/{report_id:[a-z0-9]{1,32}}/transfer", action_views.transfer),
    web.post(r"/reports/{report_id:[a-z0-9]{1,32}}/export", export_views.export),
    web.get(r"/reports/{report_id:[a-z0-9]{1,32}}/files", file_views.case_files, name="files"),
    web.post(r"/reports/{report_id:[a-z0-9]{1,32}}/files", file_views.reply_with_files),
    web.get(r"/reports/{report_id:[a-z0-9]{1,32}}/files/{file_id:[0-9a-f]{32}}", file_views.download),
    web.get(
        r"/reports/{report_id:[a-z0-9]{1,32}}/files/{file_id:[0-9a-f]{32}}/clean", file_views.download_clean
    ),
]
