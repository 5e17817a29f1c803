"""Arguments shared by every subcommand that works on a data directory."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dropbox_server.config import DEMO_KDF, Settings, below_wrap_floor
from dropbox_server.datadir import DataDirError, read_receipt_kdf, read_throwaway
from receipt_codes import KdfParams

# For tests and benchmarks only: cheaper argon2id, honoured below the production cost only on
# a data directory created as a demo or test one (datadir.Throwaway), and never silent.
KDF_ENV = "TIPDROP_KDF"


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, required=True, help="the service's data directory")


def _kdf_from_env() -> KdfParams | None:
    value = os.environ.get(KDF_ENV)
    if not value:
        return None
    try:
        t, m, p = (int(x) for x in value.split(","))
        return KdfParams(time_cost=t, memory_kib=m, parallelism=p)
    except ValueError:
        raise DataDirError(f"{KDF_ENV} must be time_cost,memory_kib,parallelism") from None


def _is_new(settings: Settings) -> bool:
    return not (settings.database_path.exists() or settings.pepper_path.exists())


def settings_from_args(args: argparse.Namespace, *, creates: str = "") -> Settings:
    """Settings for the command's data directory, ports and argon2id costs.

    `creates` names what the command makes when the directory is new: "test" (`init` and the
    restores: a test data directory if TIPDROP_KDF is below the production cost, else a real
    one) or "demo". The environment can mark a directory only as it is made, never later.
    Security: on an existing directory not created as a demo/test one, a TIPDROP_KDF below
    config.WRAP_KDF is refused (insider finding K7: an environment drop-in on the server
    would otherwise make every staff key wrapped afterwards cheap to guess offline). A
    directory that does not exist yet holds no key to wrap: the command reports its absence.
    """
    overrides: dict[str, object] = {}
    for name in ("reporter_port", "investigator_port"):
        if getattr(args, name, None) is not None:
            overrides[name] = getattr(args, name)
    if getattr(args, "https_door", False):
        overrides["https_door"] = True
    plain = Settings.for_data_dir(args.data_dir)
    marker = read_throwaway(plain.data_dir)
    kdf = _kdf_from_env()
    new = bool(creates) and marker is None and _is_new(plain)
    cheap = kdf is not None and below_wrap_floor(kdf)
    if marker is not None:
        overrides["throwaway"] = marker.purpose
        overrides["password_kdf"] = KdfParams(*marker.password_kdf)
    elif new and (creates == "demo" or cheap):
        overrides["throwaway"] = creates
        overrides["password_kdf"] = DEMO_KDF if creates == "demo" else kdf
    elif cheap and not _is_new(plain):
        raise DataDirError(
            f"{KDF_ENV} is set below the production argon2id cost, and {plain.data_dir} is not a "
            f"demo or test data directory: refusing to wrap staff keys cheaply. Remove {KDF_ENV} "
            "from this command's environment (a systemd drop-in, a shell profile) and run it again."
        )
    if kdf is not None:
        print(f"WARNING: {KDF_ENV} is set: argon2id costs are {kdf} (tests and benchmarks only).",
              file=sys.stderr)
        overrides["receipt_kdf"] = kdf
        overrides["password_kdf"] = kdf
    if overrides.get("throwaway"):
        print(f"WARNING: {plain.data_dir} is a THROWAWAY {overrides['throwaway']} data directory: "
              "staff keys are wrapped with cheap argon2id. Never keep real reports in it.", file=sys.stderr)
    recorded = read_receipt_kdf(plain.receipt_kdf_path)
    if recorded is not None:
        overrides["receipt_kdf"] = KdfParams(*recorded)
    return Settings.for_data_dir(args.data_dir, **overrides)
