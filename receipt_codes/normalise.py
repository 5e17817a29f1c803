"""Forgiving parsing of a receipt typed back by a reporter."""

import re
import unicodedata

from receipt_codes.generate import MIN_RECEIPT_WORDS
from receipt_codes.types import Receipt
from receipt_codes.wordlist import word_set

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_.,;:/]+")
MAX_RECEIPT_INPUT = 400


class ReceiptFormatError(ValueError):
    """The typed text cannot be a receipt; `unknown_words` names words not in the list.

    `words` are the typed words as read (folded, in order), so a page can mark the unknown ones.
    """

    def __init__(
        self,
        reason: str,
        unknown_words: tuple[str, ...] = (),
        word_count: int = 0,
        words: tuple[str, ...] = (),
    ):
        super().__init__(reason)
        self.reason = reason
        self.unknown_words = unknown_words
        self.word_count = word_count
        self.words = words


def parse_receipt(text: str, expected_words: int = MIN_RECEIPT_WORDS) -> Receipt:
    """Normalise case, spacing, hyphens and line breaks, and check every word is on the list.

    Security: the checks look only at the word list and the word count, never at stored
    receipts, so an error says nothing about which receipts exist.
    """
    if len(text) > MAX_RECEIPT_INPUT:
        raise ReceiptFormatError("too_long")
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = [w for w in _SEPARATORS.split(folded) if w]
    if not words:
        raise ReceiptFormatError("empty")
    known = word_set()
    unknown = tuple(dict.fromkeys(w for w in words if w not in known))
    if unknown:
        raise ReceiptFormatError(
            "unknown_words", unknown_words=unknown, word_count=len(words), words=tuple(words)
        )
    if len(words) != expected_words:
        raise ReceiptFormatError("wrong_count", word_count=len(words), words=tuple(words))
    return Receipt(" ".join(words))
