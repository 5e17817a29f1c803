"""How these attacks reach the officers' door: as sudo and the wrapper run it.

The door runs as the service user (here: the test's own user) with `python -I`, the config the
root-owned wrapper names, an environment holding only PATH and SUDO_USER (sudo sets it to the
officer's login), and the officer's own arguments, standard input and resource limits (sudo
keeps the caller's limits, apart from the core size).
"""

from __future__ import annotations

import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from dropbox_server.config import Settings
from tests.conftest import CHEAP_KDF, init_test_data_dir

ROOT = Path(__file__).resolve().parents[2]
OFFICER = "jo.smith"
THROUGH_SUDO = {"PATH": "/usr/bin:/bin", "SUDO_USER": OFFICER}


def door(config: Path, *args: str, stdin: bytes = b"", file_size_limit: int | None = None,
         soft_only: bool = False, timeout: float | None = 120) -> subprocess.CompletedProcess[bytes]:
    """One officer's door command, run for real; `file_size_limit` is the officer's `ulimit -f`
    (hard and soft, or with `soft_only` the soft limit alone, `ulimit -S -f`)."""
    limit: Callable[[], None] | None = None
    if file_size_limit is not None:
        size = file_size_limit

        def limit() -> None:
            hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1] if soft_only else size
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))

    return subprocess.run(
        [sys.executable, "-I", str(ROOT / "run.py"), "officer-door", str(config), *args],
        input=stdin, capture_output=True, env=THROUGH_SUDO, cwd="/", preexec_fn=limit, timeout=timeout,
    )


async def made_by_init(base: Path, *, backup_dir: Path | None = None) -> tuple[Settings, Path]:
    """A data directory made by init, and the door's config naming it (and a backup folder)."""
    settings = Settings.for_data_dir(base / "data", receipt_kdf=CHEAP_KDF, password_kdf=CHEAP_KDF)
    await init_test_data_dir(settings)
    config = base / "door.toml"
    text = f'data_dir = "{settings.data_dir}"\n'
    if backup_dir is not None:
        backup_dir.mkdir(mode=0o700)
        text += f'backup_dir = "{backup_dir}"\n'
    config.write_text(text)
    config.chmod(0o644)
    return settings, config


def said(result: subprocess.CompletedProcess[bytes]) -> str:
    """What the door printed, without the throwaway-directory warnings of test directories."""
    lines = (result.stdout + result.stderr).decode("utf-8", "replace").splitlines()
    return "\n".join(line for line in lines if "THROWAWAY" not in line)
