"""Arguments shared by every subcommand that works on a data directory."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from dropbox_server.config import Settings
from dropbox_server.datadir import read_receipt_kdf
from receipt_codes import KdfParams

# For tests and benchmarks only: cheaper argon2id, never below a floor, never silent.
KDF_ENV = "TIPDROP_KDF"


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, required=True, help="the service's data directory")


def _kdf_from_env() -> KdfParams | None:
    value = os.environ.get(KDF_ENV)
    if not value:
        return None
    t, m, p = (int(x) for x in value.split(","))
    return KdfParams(time_cost=t, memory_kib=m, parallelism=p)


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides = {}
    for name in ("reporter_port", "investigator_port"):
        if getattr(args, name, None) is not None:
            overrides[name] = getattr(args, name)
    if getattr(args, "https_door", False):
        overrides["https_door"] = True
    kdf = _kdf_from_env()
    if kdf is not None:
        print(f"WARNING: {KDF_ENV} is set: argon2id costs lowered to {kdf} (tests only).")
        overrides["receipt_kdf"] = kdf
        overrides["password_kdf"] = kdf
    recorded = read_receipt_kdf(Settings.for_data_dir(args.data_dir).receipt_kdf_path)
    if recorded is not None:
        overrides["receipt_kdf"] = KdfParams(*recorded)
    return Settings.for_data_dir(args.data_dir, **overrides)
