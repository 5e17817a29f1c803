"""Jinja2 templates: autoescaped, translated per request, no inline script or style."""

from __future__ import annotations

import contextvars
from typing import Any

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from dropbox_server.i18n import DEFAULT_LANGUAGE, LANGUAGES, lazy, translations, with_language
from dropbox_server.support import DEFAULT_SUPPORT, Wording
from dropbox_server.web.appkeys import LANG, SITE, SUPPORT, SWITCH_PATHS, TEMPLATES, SwitchPaths

current_language: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_language", default=DEFAULT_LANGUAGE
)


def _gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


SITE_NAMES = {
    "reporter": lazy("Report police corruption and abuse"),
    "investigator": lazy("Tip drop for investigators"),
}


def _switch_path(request: web.Request) -> str:
    """Where a language link on this page goes: the same page when it can be fetched again."""
    paths = request.config_dict.get(SWITCH_PATHS, SwitchPaths())
    if request.method == "GET" or request.path in paths.refetch:
        return request.path
    return next((s for s in paths.sections if request.path.startswith(s)), paths.home)


def create_environment() -> Environment:
    """The template environment for both sites."""
    env = Environment(
        loader=PackageLoader("dropbox_server", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["LANGUAGES"] = LANGUAGES
    env.globals["with_lang"] = lambda path: with_language(path, current_language.get())
    return env


def render(
    request: web.Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> web.Response:
    """Render a template to an HTML response in the request's language."""
    env = request.config_dict[TEMPLATES]
    lang = request.get(LANG, DEFAULT_LANGUAGE)
    values = {
        "request": request,
        "lang": lang,
        "lang_suffix": "" if lang == DEFAULT_LANGUAGE else f"?lang={lang}",
        "lang_param": "" if lang == DEFAULT_LANGUAGE else lang,
        "switch_path": _switch_path(request),
        "site_name": _gettext(SITE_NAMES.get(request.config_dict[SITE], "")),
        "site": request.config_dict[SITE],
        "operator": request.config_dict.get(SUPPORT, DEFAULT_SUPPORT).operator.text(lang, _gettext),
        "words": lambda wording: wording.text(lang, _gettext) if isinstance(wording, Wording) else "",
        **(context or {}),
    }
    html = env.get_template(template).render(values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
