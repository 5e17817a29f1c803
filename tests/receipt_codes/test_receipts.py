"""Receipt generation, forgiving parsing and the single derivation, with known answers."""

from __future__ import annotations

import math

import pytest

from receipt_codes import (
    KdfParams,
    ReceiptFormatError,
    derive_reporter_secrets,
    generate_receipt,
    load_wordlist,
    parse_receipt,
    receipt_entropy_bits,
)
from receipt_codes.types import Receipt

CHEAP = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
PEPPER = bytes(range(32))


def test_wordlist_is_large_distinct_and_plain() -> None:
    words = load_wordlist()
    assert len(words) >= 7776
    assert len(set(words)) == len(words)
    assert all(w.isalpha() and w.islower() and w.isascii() for w in words)


def test_receipt_has_seven_list_words_and_over_90_bits() -> None:
    receipt = generate_receipt()
    words = receipt.split(" ")
    assert len(words) == 7
    assert set(words) <= set(load_wordlist())
    assert receipt_entropy_bits() == pytest.approx(7 * math.log2(7776))
    assert receipt_entropy_bits() > 90


def test_receipts_differ() -> None:
    assert len({generate_receipt() for _ in range(200)}) == 200


def test_fewer_than_seven_words_is_refused() -> None:
    with pytest.raises(ValueError):
        generate_receipt(6)


@pytest.mark.parametrize(
    "typed",
    [
        "ABACUS abdomen Abdominal abide abiding ability ablaze",
        "  abacus   abdomen abdominal\nabide\r\nabiding ability ablaze  ",
        "abacus-abdomen-abdominal-abide-abiding-ability-ablaze",
        "abacus–abdomen—abdominal abide, abiding. ability ablaze",
        "ＡＢＡＣＵＳ abdomen abdominal abide abiding ability ablaze",
    ],
)
def test_forgiving_input(typed: str) -> None:
    assert parse_receipt(typed) == "abacus abdomen abdominal abide abiding ability ablaze"


def test_unknown_word_is_named() -> None:
    with pytest.raises(ReceiptFormatError) as err:
        parse_receipt("abacus abdomen abdominal abide abiding abilityy ablaze")
    assert err.value.reason == "unknown_words"
    assert err.value.unknown_words == ("abilityy",)


def test_wrong_word_count() -> None:
    with pytest.raises(ReceiptFormatError) as err:
        parse_receipt("abacus abdomen abdominal")
    assert err.value.reason == "wrong_count"
    assert err.value.word_count == 3


@pytest.mark.parametrize("typed", ["", "   ", "\n", "x" * 1000])
def test_empty_or_huge_input(typed: str) -> None:
    with pytest.raises(ReceiptFormatError):
        parse_receipt(typed)


def test_derivation_known_answer_and_split() -> None:
    receipt = Receipt("abacus abdomen abdominal abide abiding ability ablaze")
    first = derive_reporter_secrets(receipt, PEPPER, CHEAP)
    again = derive_reporter_secrets(receipt, PEPPER, CHEAP)
    assert first.lookup_id == again.lookup_id and first.key_seed == again.key_seed
    assert len(first.lookup_id) == 32 and len(first.key_seed) == 32
    assert first.lookup_id != first.key_seed
    # Pinned vector: changing the purpose string, the split or the parameters breaks it.
    assert first.lookup_id.hex()[:16] == KNOWN_LOOKUP_PREFIX


def test_derivation_depends_on_pepper_receipt_and_cost() -> None:
    receipt = Receipt("abacus abdomen abdominal abide abiding ability ablaze")
    base = derive_reporter_secrets(receipt, PEPPER, CHEAP).lookup_id
    assert derive_reporter_secrets(receipt, bytes(32), CHEAP).lookup_id != base
    other = Receipt("abacus abdomen abdominal abide abiding ability ablaze".replace("ablaze", "able"))
    assert derive_reporter_secrets(other, PEPPER, CHEAP).lookup_id != base
    assert derive_reporter_secrets(receipt, PEPPER, KdfParams(2, 8 * 1024, 1)).lookup_id != base


def test_short_pepper_is_refused() -> None:
    with pytest.raises(ValueError):
        derive_reporter_secrets(Receipt("a b c d e f g"), b"short", CHEAP)


def test_default_costs_meet_rfc_9106_second_recommendation() -> None:
    params = KdfParams()
    assert params.time_cost >= 3 and params.memory_kib >= 64 * 1024


def test_secrets_do_not_print() -> None:
    secrets = derive_reporter_secrets(Receipt("a b c d e f g"), PEPPER, CHEAP)
    assert secrets.lookup_id.hex() not in repr(secrets)


# Changing this breaks every receipt ever issued: derivation must stay stable.
KNOWN_LOOKUP_PREFIX = "a84c9798182bbf23"


# --- Guards that a mutation could silently remove -------------------------------------------


def damaged(words: tuple[str, ...]) -> str:
    from receipt_codes.wordlist import check_wordlist

    with pytest.raises(RuntimeError) as err:
        check_wordlist(words)
    return str(err.value)


def test_the_shipped_list_passes_its_own_check() -> None:
    from receipt_codes.wordlist import check_wordlist

    words = load_wordlist()
    assert check_wordlist(words) is words
    assert len(words) == 7776


def test_a_list_with_a_duplicate_is_refused() -> None:
    words = load_wordlist()
    assert damaged((*words[:-1], words[0])) == "receipt word list is damaged: a word appears twice"


def test_a_list_one_word_short_is_refused() -> None:
    assert damaged(load_wordlist()[:-1]) == "receipt word list is damaged: fewer than 7,776 words"


@pytest.mark.parametrize("bad", ["Capital", "caf\u00e9", "abc1", "two words", "hy-phen", ""])
def test_a_list_with_a_word_that_is_not_plain_lower_case_letters_is_refused(bad: str) -> None:
    assert damaged((*load_wordlist()[:-1], bad)) == "receipt word list is damaged: words must be lower-case letters"


@pytest.mark.parametrize(
    ("time_cost", "memory_kib", "parallelism"),
    [(0, 8 * 1024, 1), (1, 31, 4), (1, 8 * 1024, 0), (-1, 8 * 1024, 1)],
    ids=["time_cost-0", "memory-below-8-per-lane", "parallelism-0", "time_cost-negative"],
)
def test_argon2id_parameters_out_of_range_are_refused(time_cost: int, memory_kib: int, parallelism: int) -> None:
    with pytest.raises(ValueError, match=r"^argon2id parameters out of range$"):
        KdfParams(time_cost, memory_kib, parallelism)


def test_argon2id_parameters_at_the_edge_are_allowed() -> None:
    assert KdfParams(1, 32, 4).memory_kib == 32  # exactly 8 KiB per lane
    assert KdfParams(1, 8, 1).time_cost == 1


def test_pepper_length_edge() -> None:
    receipt = Receipt("a b c d e f g")
    with pytest.raises(ValueError, match=r"^server pepper is too short$"):
        derive_reporter_secrets(receipt, bytes(15), CHEAP)
    assert len(derive_reporter_secrets(receipt, bytes(16), CHEAP).lookup_id) == 32


def test_secrets_repr_is_fixed() -> None:
    assert repr(derive_reporter_secrets(Receipt("a b c d e f g"), PEPPER, CHEAP)) == "ReporterSecrets(<redacted>)"


def test_fewer_than_seven_words_names_the_minimum() -> None:
    with pytest.raises(ValueError, match=r"^a receipt needs at least 7 words$"):
        generate_receipt(6)
    assert len(generate_receipt(8).split(" ")) == 8


def test_input_length_edge() -> None:
    from receipt_codes.normalise import MAX_RECEIPT_INPUT

    with pytest.raises(ReceiptFormatError) as err:
        parse_receipt("a" * (MAX_RECEIPT_INPUT + 1))
    assert err.value.reason == "too_long" and str(err.value) == "too_long"
    with pytest.raises(ReceiptFormatError) as err:
        parse_receipt(" " * MAX_RECEIPT_INPUT)
    assert err.value.reason == "empty" and str(err.value) == "empty"
    assert err.value.word_count == 0 and err.value.unknown_words == ()


def test_unknown_words_count_every_word() -> None:
    with pytest.raises(ReceiptFormatError) as err:
        parse_receipt("abacus zzz zzz abide")
    assert err.value.unknown_words == ("zzz",)
    assert err.value.word_count == 4
    assert str(err.value) == "unknown_words"


def test_a_receipt_of_another_length_can_be_expected() -> None:
    assert parse_receipt("abacus abdomen", expected_words=2) == "abacus abdomen"
