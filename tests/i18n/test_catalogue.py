"""The Welsh catalogue is complete and compiled.

Re-extracts every marked string (templates and Python, with the project's own babel.cfg
through scripts/i18n.sh) and fails on any message the catalogue lacks or leaves untranslated
or fuzzy (every plural form included), on translations whose placeholders differ from the
English, and on a compiled messages.mo that differs from its messages.po.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from dropbox_server.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue_path

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Every string marked for translation in the code as it is now."""
    tmp = tmp_path_factory.mktemp("pot")
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHON": sys.executable}
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "i18n.sh"), "extract"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with (tmp / "tipdrop-messages.pot").open("rb") as pot:
        return read_po(pot)


def _catalogue(language: str) -> Catalog:
    with catalogue_path(language, ".po").open("rb") as po:
        return read_po(po, locale=language)


def test_extraction_finds_the_strings_of_every_kind_of_source(extracted: Catalog) -> None:
    """A guard on the guard: if extraction silently missed a kind of file, the test below could pass."""
    ids = {_key(m) for m in extracted if m.id}
    assert "Skip to main content" in ids  # base.html
    assert "Send report" in ids  # a reporter template
    assert "Your receipt" in ids  # a {% trans %}-free _() call in check.html
    assert "Up to %(count)s files: each file up to %(file)s, %(total)s in all." in ids  # {% trans %}
    assert "Tell us what happened." in ids  # lazy() in reporter/forms.py
    assert "Links to organised crime" in ids  # lazy() in conduct.py
    assert "Page not found" in ids  # lazy() in middlewares.py
    assert len(ids) > 150


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_string_is_translated(extracted: Catalog, language: str) -> None:
    catalogue = _catalogue(language)
    missing, untranslated, fuzzy = [], [], []
    for message in extracted:
        if not message.id:
            continue
        entry = catalogue.get(message.id)
        if entry is None:
            missing.append(_key(message))
            continue
        strings = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
        if not all(isinstance(s, str) and s.strip() for s in strings):
            untranslated.append(_key(message))
        if entry.fuzzy:
            fuzzy.append(_key(message))
    hint = "run scripts/i18n.sh update, translate, then scripts/i18n.sh compile"
    assert not missing, f"{len(missing)} not in the {language} catalogue ({hint}), e.g. {missing[:8]}"
    assert not untranslated, f"{len(untranslated)} untranslated in {language}, e.g. {untranslated[:8]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language} (check, then clear the flag): {fuzzy}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_has_no_obsolete_entries(language: str) -> None:
    """Entries for strings that left the code are dropped by `scripts/i18n.sh update`.

    A translated entry whose string is not (or not yet) in the code is allowed: engineers work
    in the same tree at once, and a translation may land before, or outlive by a commit, the
    template that uses it.
    """
    assert not _catalogue(language).obsolete


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    """Babel's checkers: python-format placeholders in each translation match the English."""
    problems = [(_key(message), [str(e) for e in errors]) for message, errors in _catalogue(language).check()]
    assert not problems


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogue_has_the_plural_rule_of_its_language(language: str) -> None:
    catalogue = _catalogue(language)
    assert str(catalogue.locale) == language
    assert catalogue.num_plurals == 6 if language == "cy" else catalogue.num_plurals >= 1


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogue_matches_its_source(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue(language))
    on_disk = catalogue_path(language).read_bytes()
    assert on_disk == compiled.getvalue(), "messages.mo is stale: run scripts/i18n.sh compile"
