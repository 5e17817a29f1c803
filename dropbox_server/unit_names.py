"""Unit names as people read them: the characters a new name may use, and the key that two
names which look alike share, so that no unit can pass for another on a list of forces.

Pure text rules (no database): the store keeps each unit's key in a unique column and
migration 0021 computes it for the units already there, so this sits below the store.

Why a safe character set rather than a mixed-script check: unit names are UK force and unit
names, written in English, Welsh, Irish or Scottish Gaelic. Latin letters with their accents
cover all of them (Welsh ŵ ŷ ẁ ẃ ẅ ỳ included); refusing every other letter also refuses
Cyrillic and Greek look-alikes inside a Latin name ("Kеnt" with a Cyrillic е), and Latin
letters that have no accented-ASCII form (dotless ı, small capitals, ɑ) without needing
Unicode's confusables tables. A single-script name in another alphabet has no place here.
"""

from __future__ import annotations

import unicodedata

MAX_UNIT_NAME = 200
# Punctuation force names use ("Hampshire and Isle of Wight", "Dyfed-Powys", "King's Lynn",
# "Kent Police: Professional Standards", "National hub (reports ...)").
_PUNCTUATION = frozenset(" '\u2019-&(),.:/")
# Letters of other scripts that look like Latin ones, folded in the key so names stored
# before the character rule (or written into the database directly) still clash.
_LOOKALIKE_LETTERS = str.maketrans(
    "\u0430\u0432\u0435\u0456\u0458\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443\u0445\u0455\u0501\u051b\u051d"
    "\u03b1\u03b2\u03b5\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7",
    "abeijkmhopctyxsdqw"
    "abeiknoptux",
)
# ASCII look-alikes (after casefolding), after Unicode's confusables skeletons (UTS #39), in
# this order: "ri" reads as "n" and "rn" as "m" before i and 1 become l; "cl" reads as "d"
# after they did (so "c1" and "cI" fold too). "nn" is not folded: it reads as two letters.
_LOOKALIKE_ASCII = (
    ("ri", "n"), ("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("i", "l"), ("|", "l"), ("cl", "d"),
)


class UnitNameRefused(ValueError):
    """The name cannot be a unit's name; the message says why."""


def _latin_letter(char: str) -> bool:
    """An ASCII letter, or one with accents whose base letter is ASCII (é, ŵ, ẁ, ỳ)."""
    parts = unicodedata.normalize("NFD", char)
    base = parts[0]
    return base.isascii() and base.isalpha() and all(unicodedata.combining(c) for c in parts[1:])


def _allowed(char: str) -> bool:
    return char in _PUNCTUATION or (char.isascii() and char.isdigit()) or _latin_letter(char)


def checked_name(name: str) -> str:
    """A new unit name as it is stored: NFKC, spaces collapsed; refused unless every character
    is a Latin letter (accents allowed), an ASCII digit, a space or common punctuation.

    Security: no letters of other scripts, no invisible or direction-changing characters.
    """
    text = " ".join(unicodedata.normalize("NFKC", name).split())
    if not text:
        raise UnitNameRefused("a unit needs a name")
    if len(text) > MAX_UNIT_NAME:
        raise UnitNameRefused(f"a unit name is at most {MAX_UNIT_NAME} characters")
    odd = sorted({c for c in text if not _allowed(c)})
    if odd:
        shown = ", ".join(f"U+{ord(c):04X}" for c in odd[:5])
        raise UnitNameRefused(
            "a unit name uses Latin letters (accents allowed, e.g. ŵ, ŷ), digits, spaces and "
            f"' - & ( ) , . : / only, not {shown}"
        )
    return text


def name_key(name: str) -> str:
    """What a name looks like, for telling names apart: two names with the same key would be
    confused on a list, so no two units may share one.

    Compatibility forms folded (NFKC), case folded, accents dropped, other scripts' look-alike
    letters and ASCII look-alikes (ri/n, rn/m, vv/w, 0/o, 1/l/i, cl/d, &/and) folded, and everything
    but letters and digits (spaces, punctuation, invisible characters) dropped: "Kent  Police", "KENT POLICE",
    "Kent-Police" and "Kеnt Police" (Cyrillic е) have one key.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_LOOKALIKE_LETTERS)
    text = text.replace("&", "and")  # "Devon & Cornwall" reads as "Devon and Cornwall"
    text = "".join(c for c in text if c.isalnum() or c == "|").replace("|", "l")
    for seen, same in _LOOKALIKE_ASCII:
        text = text.replace(seen, same)
    return text
