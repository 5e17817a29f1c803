"""Translations: gettext catalogues per language, chosen per request without a cookie."""

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


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue for `language`, or the identity catalogue for English and unknown codes."""
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def pick_language(requested: str | None) -> str:
    """The language for a request from its `lang` query parameter, defaulting to English."""
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE
