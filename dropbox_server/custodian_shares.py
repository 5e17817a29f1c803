"""SLIP-39 word shares of the custodian private key: the only user of `shamir_mnemonic`.

The custodian key is split into N shares with threshold K (one SLIP-39 group), so K named
people must come together to use it and fewer learn nothing about it. Each share carries a
checksum (a mistyped word is caught on its own), the set's identifier (shares of two splits
cannot be mixed) and the threshold (so the prompt knows how many more it needs).

Security: the split is done in memory and nothing here writes anything anywhere; callers
check the combined key against the stored custodian public key before using it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import shamir_mnemonic
from shamir_mnemonic import MnemonicError, Share

MIN_THRESHOLD = 2
MAX_SHARES = 16


class ShareError(Exception):
    """A share or a set of shares cannot be used; the message says why in plain words."""


@dataclass(frozen=True)
class ShareInfo:
    """What a single share says about itself (nothing about the secret)."""

    identifier: int
    index: int
    threshold: int


def check_split(threshold: int, count: int) -> None:
    """Refuse a split that one person could open alone, or that SLIP-39 cannot make."""
    if not MIN_THRESHOLD <= threshold <= count <= MAX_SHARES:
        raise ShareError(
            f"choose a threshold of at least {MIN_THRESHOLD} and at most the number of shares, "
            f"and at most {MAX_SHARES} shares (asked for {threshold} of {count})"
        )


def split(secret: bytes, threshold: int, count: int) -> list[str]:
    """Split a 32-byte secret into `count` word shares, any `threshold` of which rebuild it."""
    check_split(threshold, count)
    groups = shamir_mnemonic.generate_mnemonics(1, [(threshold, count)], secret)
    return list(groups[0])


def normalise(text: str) -> str:
    """One space between lower-case words, as SLIP-39's word list spells them."""
    return " ".join(text.lower().split())


def read_share(text: str) -> ShareInfo:
    """Check one share's words and checksum; raises ShareError for a mistyped or foreign share."""
    try:
        share = Share.from_mnemonic(normalise(text))
    except (MnemonicError, ValueError, KeyError):
        raise ShareError("that is not a valid share: check every word against the paper copy") from None
    if share.group_count != 1:
        raise ShareError("that share belongs to a different kind of split (more than one group)")
    return ShareInfo(share.identifier, share.index, share.member_threshold)


def combine(shares: Sequence[str]) -> bytes:
    """Rebuild the secret from at least `threshold` shares of one split."""
    infos = [read_share(s) for s in shares]
    if not infos:
        raise ShareError("no shares were given")
    if len({i.identifier for i in infos}) != 1:
        raise ShareError("these shares come from different splits; use shares issued together")
    if len({i.index for i in infos}) != len(infos):
        raise ShareError("the same share was given twice")
    if len(infos) < infos[0].threshold:
        raise ShareError(f"{infos[0].threshold - len(infos)} more share(s) needed")
    try:
        return bytes(shamir_mnemonic.combine_mnemonics([normalise(s) for s in shares]))
    except (MnemonicError, ValueError) as exc:
        raise ShareError(f"the shares do not fit together: {exc}") from None
