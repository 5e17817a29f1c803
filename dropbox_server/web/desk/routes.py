"""The desk's routes on the staff site: its package pages, its close and request actions, and
a force's question to the desk about a package it holds.

Kept apart from web/staff/routes.py so the staff package never imports the desk's (the desk's
views build on the staff site's pages); app.py adds both lists to the staff site.
"""

from __future__ import annotations

from aiohttp import web

from dropbox_server.web.desk import desk_views, package_views

_DRAFT = r"/desk/packages/{draft_id:[0-9]{1,19}}"

ROUTES = [
    web.get("/desk/approvals", package_views.approvals, name="desk_approvals"),
    web.get(r"/desk/reports/{report_id:[a-z0-9]{1,32}}/packages/new", package_views.new_package),
    web.post(r"/desk/reports/{report_id:[a-z0-9]{1,32}}/packages", package_views.create_package),
    web.post(r"/desk/reports/{report_id:[a-z0-9]{1,32}}/close", desk_views.close),
    web.post(r"/desk/requests/{request_id:[0-9]{1,19}}", desk_views.settle_request),
    web.get(_DRAFT, package_views.draft_view),
    web.post(_DRAFT, package_views.edit),
    web.post(_DRAFT + "/submit", package_views.submit),
    web.post(_DRAFT + "/approve", package_views.approve),
    web.post(_DRAFT + "/reject", package_views.reject),
    web.post(r"/reports/{report_id:[a-z0-9]{1,32}}/ask-desk", desk_views.ask_desk),
]
