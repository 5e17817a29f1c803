"""SLIP-39 shares of the custodian key: any K rebuild it; fewer, mixed or mistyped ones do not."""

from __future__ import annotations

import itertools
import secrets

import pytest

from dropbox_server import custodian_shares
from dropbox_server.custodian_shares import ShareError


def test_any_k_of_n_rebuild_the_secret_and_fewer_are_refused() -> None:
    secret = secrets.token_bytes(32)
    shares = custodian_shares.split(secret, 3, 5)
    assert len(shares) == 5 and len(set(shares)) == 5
    for chosen in itertools.combinations(shares, 3):
        assert custodian_shares.combine(list(chosen)) == secret
    for chosen in itertools.combinations(shares, 2):
        with pytest.raises(ShareError, match="1 more share"):
            custodian_shares.combine(list(chosen))
    info = custodian_shares.read_share(shares[0].upper().replace(" ", "   "))
    assert info.threshold == 3, "case and spacing are forgiven"


def test_a_mistyped_share_a_repeated_one_and_two_splits_are_refused() -> None:
    secret = secrets.token_bytes(32)
    shares = custodian_shares.split(secret, 2, 3)
    words = shares[0].split()
    words[5] = "academic" if words[5] != "academic" else "acid"
    with pytest.raises(ShareError, match="not a valid share"):
        custodian_shares.read_share(" ".join(words))
    with pytest.raises(ShareError, match="twice"):
        custodian_shares.combine([shares[0], shares[0]])
    other = custodian_shares.split(secret, 2, 3)
    with pytest.raises(ShareError, match="different splits"):
        custodian_shares.combine([shares[0], other[1]])


@pytest.mark.parametrize(("threshold", "count"), [(1, 3), (1, 1), (4, 3), (2, 17)])
def test_splits_one_person_could_open_or_slip39_cannot_make_are_refused(threshold: int, count: int) -> None:
    with pytest.raises(ShareError):
        custodian_shares.split(secrets.token_bytes(32), threshold, count)
