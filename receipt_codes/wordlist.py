"""The receipt word list, shipped as package data (see WORDLIST-LICENSE.md)."""

from functools import cache
from importlib import resources

MIN_WORDS_IN_LIST = 7776


@cache
def load_wordlist() -> tuple[str, ...]:
    """Return the 7,776 receipt words in list order; fails loudly if the file is damaged."""
    text = resources.files("receipt_codes").joinpath("wordlist_en.txt").read_text("ascii")
    words = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(set(words)) != len(words) or len(words) < MIN_WORDS_IN_LIST:
        raise RuntimeError("receipt word list is damaged: expected 7,776 distinct words")
    if any(not w.isascii() or not w.isalpha() or not w.islower() for w in words):
        raise RuntimeError("receipt word list is damaged: words must be lower-case letters")
    return words


@cache
def word_set() -> frozenset[str]:
    """The word list as a set, for membership checks while parsing."""
    return frozenset(load_wordlist())
