"""The offline guessing cost of a staff password: one key-wrapping argon2id run per guess.

An insider with a database copy tries passwords against a member's wrapped key; each try is
one argon2id run at the cost recorded in the blob. Measures, in one run on this machine, a
guess at the new default (WRAP_KDF: 256 MiB, t=3, p=4) and at the reference (RFC 9106's
second recommendation, 64 MiB, t=3, p=4, the cost wraps were made with before), prints the
ratio, and the time to try the guesses zxcvbn's score 4 stands for (at least 10^10) and a
generated 7-word passphrase's (7,776^7) on one such machine.

    python bench/bench_wrap_kdf.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dropbox_server import envelope
from dropbox_server.config import WRAP_KDF
from receipt_codes import KdfParams

REFERENCE = KdfParams(time_cost=3, memory_kib=64 * 1024, parallelism=4)
SCORE_4_GUESSES = 1e10  # zxcvbn: score 4 means an estimated 10^10 guesses or more
PASSPHRASE_GUESSES = 7776**7 / 2  # half the space, on average
YEAR = 365.25 * 24 * 3600


def seconds_per_guess(params: KdfParams, runs: int) -> float:
    """Median seconds of one wrap at `params` (one argon2id run; the SecretBox is negligible)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        envelope.wrap_with_password("a guess", b"k" * 32, params, b"tipdrop:v1:staff-key")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    new = seconds_per_guess(WRAP_KDF, args.runs)
    ref = seconds_per_guess(REFERENCE, args.runs)
    for label, params, took in (("new default", WRAP_KDF, new), ("reference", REFERENCE, ref)):
        cost = f"t={params.time_cost} m={params.memory_kib // 1024} MiB p={params.parallelism}"
        print(f"{label:12} argon2id {cost}: {took * 1000:7.0f} ms per guess ({1 / took:5.2f} guesses/s)")
    print(f"ratio (new cost / reference cost per guess): {new / ref:4.2f} (target >= 3)")
    print(f"zxcvbn score 4 (>= 1e10 guesses): {SCORE_4_GUESSES * new / YEAR:,.0f} years on this machine")
    print(f"generated 7-word passphrase (7776^7 / 2 guesses): {PASSPHRASE_GUESSES * new / YEAR:.2e} years")


if __name__ == "__main__":
    main()
