"""The single argon2id derivation made from a receipt: lookup id and reporter key seed."""

from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw

from receipt_codes.types import LookupId, Receipt

_PURPOSE = b"tipdrop:v1:receipt\x00"
MIN_PEPPER_BYTES = 16


@dataclass(frozen=True)
class KdfParams:
    """argon2id cost parameters; defaults follow RFC 9106's second recommendation."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4

    def __post_init__(self) -> None:
        if self.time_cost < 1 or self.memory_kib < 8 * self.parallelism or self.parallelism < 1:
            raise ValueError("argon2id parameters out of range")


@dataclass(frozen=True, repr=False)
class ReporterSecrets:
    """What a receipt yields: the stored lookup id and the seed of the reporter key pair."""

    lookup_id: LookupId
    key_seed: bytes

    def __repr__(self) -> str:
        return "ReporterSecrets(<redacted>)"


def derive_reporter_secrets(receipt: Receipt, pepper: bytes, params: KdfParams) -> ReporterSecrets:
    """Run argon2id once over the receipt with the server pepper as salt; split 64 bytes.

    Security: this is the only derivation from a receipt. It is slow on purpose and runs
    in an executor, never on the event loop. The purpose prefix separates it from any
    other argon2id use of the same pepper.
    """
    if len(pepper) < MIN_PEPPER_BYTES:
        raise ValueError("server pepper is too short")
    out = hash_secret_raw(
        secret=_PURPOSE + receipt.encode("utf-8"),
        salt=pepper,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=64,
        type=Type.ID,
    )
    return ReporterSecrets(lookup_id=LookupId(out[:32]), key_seed=out[32:])
