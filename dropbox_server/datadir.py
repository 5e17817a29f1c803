"""The data directory on disk: the database, the server pepper, files and onion keys."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from dropbox_server.config import Settings, below_wrap_floor
from dropbox_server.store.database import AUDIT_KEY_NAME, AUDIT_SEED_BYTES

PEPPER_BYTES = 32


class DataDirError(Exception):
    """The data directory is missing, incomplete or has unsafe permissions."""


def create_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def write_new_secret_file(path: Path, content: bytes) -> None:
    """Create a 0600 file that must not exist yet, and fsync it and its folder."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def replace_file(path: Path, content: bytes) -> None:
    """Write a 0600 file whole, replacing any earlier one atomically (fsync, rename, fsync folder)."""
    temp = path.with_name(f".{path.name}.new")
    temp.unlink(missing_ok=True)
    write_new_secret_file(temp, content)
    os.replace(temp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def create_pepper(path: Path) -> None:
    """Write a fresh random server pepper.

    Security: the pepper is the argon2id salt for every receipt; it lives outside the
    database so a stolen database alone cannot be used to test receipt guesses.
    """
    write_new_secret_file(path, secrets.token_bytes(PEPPER_BYTES))


def create_audit_key(path: Path) -> None:
    """Write a fresh random seed for the audit chain key and the checkpoint signing key.

    Security: kept beside the pepper, outside the database, so a database copy with write
    access cannot recompute the chain after editing it, nor sign a checkpoint.
    """
    write_new_secret_file(path, secrets.token_bytes(AUDIT_SEED_BYTES))


def load_pepper(path: Path) -> bytes:
    """Read the pepper, refusing a file other users could read."""
    try:
        mode = path.stat().st_mode & 0o777
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise DataDirError(
            f"{path} is missing: run `python run.py init --data-dir {path.parent}` first"
        ) from exc
    if mode & 0o077:
        raise DataDirError(f"{path} is readable by other users; run `chmod 600 {path}`")
    if len(data) != PEPPER_BYTES:
        raise DataDirError(f"{path} is damaged (expected {PEPPER_BYTES} bytes)")
    return data


def write_receipt_kdf(path: Path, time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Record the receipt argon2id costs: every later run must derive receipts the same way."""
    text = json.dumps({"time_cost": time_cost, "memory_kib": memory_kib, "parallelism": parallelism})
    write_new_secret_file(path, text.encode("ascii"))


def read_receipt_kdf(path: Path) -> tuple[int, int, int] | None:
    """The recorded receipt argon2id costs, or None for a directory not yet initialised."""
    try:
        raw = json.loads(path.read_text("ascii"))
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataDirError(f"{path} is damaged") from exc
    return int(raw["time_cost"]), int(raw["memory_kib"]), int(raw["parallelism"])


THROWAWAY_NAME = "THROWAWAY-DATA-DIRECTORY.json"
THROWAWAY_PURPOSES = ("demo", "test")


@dataclass(frozen=True)
class Throwaway:
    """The marker of a demo or test data directory, written once when it was created.

    Security: only such a directory may wrap staff keys below the production argon2id cost
    (config.WRAP_KDF). The marker is written only by `init_data_dir`, which refuses a
    directory that already holds a database, so an environment variable can never turn an
    existing real directory into a cheap one; where it is present it is shown at every start
    and on the health page.
    """

    purpose: str
    password_kdf: tuple[int, int, int]


def write_throwaway(data_dir: Path, marker: Throwaway) -> None:
    """Mark a new data directory as a demo or test one (never overwrites)."""
    if marker.purpose not in THROWAWAY_PURPOSES:
        raise DataDirError(f"a throwaway data directory is for one of {', '.join(THROWAWAY_PURPOSES)}")
    t, m, p = marker.password_kdf
    text = json.dumps({
        "purpose": marker.purpose,
        "password_kdf": {"time_cost": t, "memory_kib": m, "parallelism": p},
        "warning": "THROWAWAY data directory: staff keys are wrapped with cheap argon2id. "
        "Never keep real reports here.",
    }, indent=2)
    write_new_secret_file(data_dir / THROWAWAY_NAME, text.encode("ascii"))


def mark_if_throwaway(settings: Settings) -> None:
    """Mark a directory being made as a demo/test one when its settings make it one.

    Security: every directory made with a staff wrap cost below config.WRAP_KDF is marked
    (as "test" unless the settings name a purpose), so no path makes a cheap one silently.
    """
    wrap = settings.password_kdf
    purpose = settings.throwaway or ("test" if below_wrap_floor(wrap) else "")
    if purpose:
        cost = (wrap.time_cost, wrap.memory_kib, wrap.parallelism)
        write_throwaway(settings.data_dir, Throwaway(purpose, cost))


def read_throwaway(data_dir: Path) -> Throwaway | None:
    """The demo/test marker of `data_dir`, or None for a real data directory."""
    path = data_dir / THROWAWAY_NAME
    try:
        raw = json.loads(path.read_text("ascii"))
        kdf = raw["password_kdf"]
        marker = Throwaway(str(raw["purpose"]),
                           (int(kdf["time_cost"]), int(kdf["memory_kib"]), int(kdf["parallelism"])))
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise DataDirError(f"{path} is damaged") from exc
    if marker.purpose not in THROWAWAY_PURPOSES:
        raise DataDirError(f"{path} is damaged")
    return marker


# What only the service user may reach: the data directory itself, and the secrets in it.
# (custody/revoked.py names "revoked-staff"; a test keeps the two the same.)
PRIVATE_FILES = ("pepper.key", AUDIT_KEY_NAME, "revoked-staff", "receipt-kdf.json")
PRIVATE_DIRS = ("onion",)


def refuse_shared(data_dir: Path) -> None:
    """Refuse a data directory, or a secret in it, that other users could open.

    Security (insider finding F3): security staff are not the service user; they reach the
    data only through the officers' door (cli/door.py). `init` makes the directory 0700 and
    each secret 0600; a later `chmod` or a copy with the wrong mode would hand `audit.key`
    (the root of every certificate) or the pepper to the group, so `serve` and the door stop
    and say which file to fix rather than run.
    """
    try:
        mode = data_dir.stat().st_mode & 0o777
    except FileNotFoundError:
        raise DataDirError(f"{data_dir} does not exist; is the data directory right?") from None
    if mode & 0o077:
        raise DataDirError(
            f"{data_dir} can be opened by other users (mode {mode:o}); run `chmod 700 {data_dir}`"
        )
    checks = [(data_dir / name, "600") for name in PRIVATE_FILES]
    checks += [(data_dir / name, "700") for name in PRIVATE_DIRS]
    for path, fix in checks:
        try:
            mode = path.lstat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & 0o077:
            raise DataDirError(
                f"{path} can be read by other users (mode {mode:o}); run `chmod {fix} {path}`"
            )
