"""Receipt generation with the operating system's CSPRNG."""

import math
import secrets

from receipt_codes.types import Receipt
from receipt_codes.wordlist import load_wordlist

MIN_RECEIPT_WORDS = 7


def generate_receipt(words: int = MIN_RECEIPT_WORDS) -> Receipt:
    """Draw `words` words uniformly at random from the list.

    Security: `secrets.choice` draws from the OS CSPRNG; the receipt is returned to the
    caller to show once and is never stored or logged.
    """
    if words < MIN_RECEIPT_WORDS:
        raise ValueError(f"a receipt needs at least {MIN_RECEIPT_WORDS} words")
    wordlist = load_wordlist()
    return Receipt(" ".join(secrets.choice(wordlist) for _ in range(words)))


def receipt_entropy_bits(words: int = MIN_RECEIPT_WORDS) -> float:
    """Entropy of a receipt of `words` words, in bits."""
    return words * math.log2(len(load_wordlist()))
