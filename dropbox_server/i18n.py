"""Translations: gettext catalogues per language, chosen per request without a cookie.

Catalogues live in ``locale/<lang>/LC_MESSAGES/messages.po`` (the source, edited by
translators) and ``messages.mo`` (compiled from it by ``scripts/i18n.sh compile``). The server
reads only the ``.mo`` with the standard library, so it needs no catalogue parser at run time;
``tests/i18n`` fails whenever a ``.mo`` differs from what its ``.po`` compiles to.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

LANGUAGES: dict[str, str] = {"en": "English", "cy": "Cymraeg"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def lazy(message: str) -> str:
    """Mark a module-level string for extraction; it is translated when rendered."""
    return message


def catalogue_path(language: str, suffix: str = ".mo") -> Path:
    """Where the catalogue of `language` is kept (``.mo`` compiled, ``.po`` source)."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue for `language`, or the identity catalogue for English and unknown codes.

    A missing catalogue for a listed language is an error, not a silent fall back to English.
    """
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    with catalogue_path(language).open("rb") as mo:
        return gettext.GNUTranslations(mo)


def pick_language(requested: str | None) -> str:
    """The language for a request from its `lang` query parameter, defaulting to English."""
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def with_language(path: str, language: str) -> str:
    """`path` with `lang=` added when the language is not the default, keeping any fragment."""
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return path
    path, hash_mark, fragment = path.partition("#")
    if "lang=" in path.partition("?")[2]:
        return f"{path}{hash_mark}{fragment}"
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}lang={language}{hash_mark}{fragment}"
