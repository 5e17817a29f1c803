"""The receipt word list, shipped as package data (see WORDLIST-LICENSE.md)."""

from functools import cache
from importlib import resources

MIN_WORDS_IN_LIST = 7776


@cache
def load_wordlist() -> tuple[str, ...]:
    """Return the 7,776 receipt words in list order; fails loudly if the file is damaged."""
    text = resources.files("receipt_codes").joinpath("wordlist_en.txt").read_text("ascii")
    return check_wordlist(tuple(line.strip() for line in text.splitlines() if line.strip()))


def check_wordlist(words: tuple[str, ...]) -> tuple[str, ...]:
    """The list unchanged if it is fit to draw receipts from; RuntimeError naming the fault if not.

    Security: a duplicate, a short list or a word that normalising would change lowers the
    entropy of every receipt drawn from it, silently; so a damaged list stops the service.
    """
    if len(set(words)) != len(words):
        raise RuntimeError("receipt word list is damaged: a word appears twice")
    if len(words) < MIN_WORDS_IN_LIST:
        raise RuntimeError("receipt word list is damaged: fewer than 7,776 words")
    if any(not w.isascii() or not w.isalpha() or not w.islower() for w in words):
        raise RuntimeError("receipt word list is damaged: words must be lower-case letters")
    return words


@cache
def word_set() -> frozenset[str]:
    """The word list as a set, for membership checks while parsing."""
    return frozenset(load_wordlist())
