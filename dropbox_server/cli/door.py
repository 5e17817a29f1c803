"""`run.py officer-door CONFIG ...`: the one command security staff may run as the service user.

Security (insider finding F3): security staff are not the service user and not root. sudo lets
their group run `deploy/door/tipdrop-keys` (root-owned) as `tipdrop`, and that runs this door:
an ALLOWLIST of `keys`/`status`/`audit`/`backup`/`stats`/`retention` subcommands, each with
an allowlist of options, on the ONE data directory a root-owned config names. The caller never chooses a
path: outputs go to standard output, a checkpoint comes on standard input, backup sets go to
the configured folder. So every operation goes through the commands' own checks (codes,
fingerprints, K shares), and nothing reads `audit.key` or the pepper for the caller.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import signal
import stat
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

from dropbox_server.datadir import refuse_shared

COMMAND = "officer-door"
PROG = "tipdrop-keys"
OPERATOR = "--operator"
CHECKPOINT_ON_STDIN = "--checkpoint-on-stdin"
CHECKPOINT_MAX_BYTES = 64 * 1024
# A value the caller gives: printable, and never something argparse could take as an option.
_VALUE = re.compile(r"[^-\x00-\x1f\x7f][^\x00-\x1f\x7f]{0,199}")


class DoorRefused(Exception):
    """The door will not run this; the message says why. Nothing was changed."""


@dataclass(frozen=True)
class Allowed:
    """What the caller may give one subcommand: options with a value, flags, plain names.

    `output` is the subcommand's own output option, which only the door fills (a private
    file it then copies to standard output); `backup_sets` fills `--to` from the config.
    """

    values: tuple[str, ...] = (OPERATOR,)
    flags: tuple[str, ...] = ()
    names: int | None = 0  # how many plain arguments; None: any number
    output: str = ""
    backup_sets: bool = False
    checkpoint: bool = False


_YES = ("--yes",)
# Not on the door: `init`, `restore`, `keys restore` (they make a data directory: root does
# that, at installation or recovery), `keys verify-backup` (needs no data directory: run it as
# yourself on the file), `keys recover-custodian` (retired), `keys backup-db` (insider finding
# D2: a whole database copy on one officer's standard output allowed offline guessing of every
# staff wrap; database copies reach the 0700 backup folder through `backup`), `serve`, `demo`, and every
# option naming a path (`--data-dir`, `--out`, `--out-dir`, `--to`,
# `--checkpoint`, `--in`, `--database`).
ALLOWED: Mapping[tuple[str, ...], Allowed] = {
    ("status",): Allowed(values=(), flags=("--json",)),
    ("audit", "verify"): Allowed(values=(), flags=(CHECKPOINT_ON_STDIN,), checkpoint=True),
    ("audit", "checkpoint"): Allowed(values=()),
    ("audit", "acknowledge"): Allowed(),
    ("audit", "rekey"): Allowed(values=()),
    # No `--keep` (insider finding D4): through the door `backup --keep 1` deleted the backup
    # history; the configured keep (the nightly timer's) applies to a set made here.
    ("backup",): Allowed(values=(OPERATOR,), backup_sets=True),
    ("stats",): Allowed(values=("--from", "--to", "--force", "--period", "--format")),
    ("retention", "run"): Allowed(flags=("--dry-run", *_YES)),
    ("keys", "list-units"): Allowed(values=("--unit", OPERATOR)),
    ("keys", "list-staff"): Allowed(values=("--unit", OPERATOR)),
    ("keys", "list-onion-clients"): Allowed(),
    ("keys", "show-onions"): Allowed(),
    ("keys", "add-onion-client"): Allowed(names=1),
    ("keys", "remove-onion-client"): Allowed(flags=_YES, names=1),
    ("keys", "rotate-onion-client"): Allowed(flags=_YES, names=1),
    ("keys", "rotate-client-auth"): Allowed(flags=_YES, names=None),
    ("keys", "add-investigator"): Allowed(values=("--unit", "--username", "--role", OPERATOR)),
    ("keys", "approve-first"): Allowed(values=("--username", OPERATOR)),
    ("keys", "set-routing"): Allowed(values=("--routing", OPERATOR)),
    ("keys", "rotate-unit-key"): Allowed(values=("--unit", OPERATOR), flags=("--reseal-old", *_YES)),
    ("keys", "remove-investigator"): Allowed(values=("--username", OPERATOR), flags=("--force", *_YES)),
    ("keys", "move-investigator"): Allowed(
        values=("--username", "--to-unit", OPERATOR), flags=("--force", *_YES)
    ),
    ("keys", "reset-password"): Allowed(
        values=("--username", OPERATOR), flags=("--old-password-lost", *_YES)
    ),
    ("keys", "reset-totp"): Allowed(values=("--username", OPERATOR), flags=_YES),
    ("keys", "create-unit"): Allowed(values=("--id", "--name", "--kind", OPERATOR), flags=_YES),
    ("keys", "rename-unit"): Allowed(values=("--id", "--name", OPERATOR), flags=_YES),
    ("keys", "retire-unit"): Allowed(values=("--id", OPERATOR), flags=_YES),
    ("keys", "backup"): Allowed(output="--out"),
    ("keys", "reshare"): Allowed(values=("--threshold", "--shares", "--holders", OPERATOR), flags=_YES),
    ("keys", "split-custodian"): Allowed(values=("--threshold", "--shares", "--holders", OPERATOR)),
    ("keys", "certify-restored"): Allowed(flags=_YES),
}


@dataclass(frozen=True)
class DoorConfig:
    """The root-owned config: the one data directory, and where backup sets go (optional)."""

    data_dir: Path
    backup_dir: Path | None


@dataclass
class Plan:
    """The real command line the door runs, and the only paths it may name."""

    argv: list[str]
    data_dir: Path
    paths: set[Path] = field(default_factory=set)
    output: Path | None = None


def refuse_environment(environ: Mapping[str, str]) -> None:
    """Run only as `python -I` and with no TIPDROP_* variable from the caller.

    Security: the wrapper empties the environment (`env -i`) and sudo resets it; this is the
    last line, so TIPDROP_KDF (cheap staff keys) or PYTHONPATH (other code) never reach here.
    """
    if not sys.flags.isolated:
        raise DoorRefused(f"the officers' door runs only under `python -I` (see {PROG} in deploy/door)")
    leaked = sorted(name for name in environ if name.startswith("TIPDROP_"))
    if leaked:
        raise DoorRefused(
            f"{', '.join(leaked)} reached the officers' door; it takes nothing from the caller's "
            "environment. Run it through sudo and the installed wrapper."
        )


def read_config(path: Path) -> DoorConfig:
    """The door's config, refused unless root (or the service user) owns it and only they can write it."""
    try:
        info = path.stat()
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise DoorRefused(f"{path} is missing: install it from deploy/door/door.toml") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise DoorRefused(f"{path} is damaged (TOML with data_dir = \"/absolute/path\")") from None
    if info.st_uid not in (0, os.geteuid()) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise DoorRefused(f"{path} must belong to root and be writable only by root: "
                          f"`chown root:root {path} && chmod 644 {path}`")
    data_dir = raw.get("data_dir")
    backup_dir = raw.get("backup_dir")
    if not isinstance(data_dir, str) or not Path(data_dir).is_absolute():
        raise DoorRefused(f"{path}: data_dir must be an absolute path")
    if backup_dir is not None and (not isinstance(backup_dir, str) or not Path(backup_dir).is_absolute()):
        raise DoorRefused(f"{path}: backup_dir must be an absolute path")
    return DoorConfig(Path(data_dir), Path(backup_dir) if backup_dir else None)


def _listing() -> str:
    lines = [f"usage: sudo -u tipdrop {PROG} COMMAND [options]", "", "commands on this door:"]
    lines += [f"  {' '.join(path)}" for path in ALLOWED]
    lines += ["", "The key backup (keys backup) goes to standard output: redirect it to a file."]
    return "\n".join(lines)


def _command(argv: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    """The allowed subcommand `argv` starts with, and the rest of it."""
    for length in (2, 1):
        path = tuple(argv[:length])
        if path in ALLOWED:
            return path, list(argv[length:])
    if not argv or argv[0] in ("-h", "--help"):
        raise DoorRefused(_listing())
    raise DoorRefused(f"`{' '.join(argv[:2])}` is not on the officers' door.\n\n{_listing()}")


def _caller_parser(path: tuple[str, ...], allowed: Allowed) -> argparse.ArgumentParser:
    """A strict parser of what the caller may give: no abbreviations, no unknown option."""
    parser = argparse.ArgumentParser(prog=f"{PROG} {' '.join(path)}", allow_abbrev=False)
    for option in allowed.values:
        parser.add_argument(option, dest=option, metavar=option.lstrip("-").upper())
    for flag in allowed.flags:
        parser.add_argument(flag, dest=flag, action="store_true")
    if allowed.names is None:
        parser.add_argument("names", nargs="*", metavar="NAME")
    elif allowed.names:
        parser.add_argument("names", nargs=allowed.names, metavar="NAME")
    return parser


def _value(text: str) -> str:
    if not _VALUE.fullmatch(text):
        raise DoorRefused(
            f"{text!r} is not accepted here: a value may not start with '-' nor hold control characters"
        )
    return text


def _operator_is_login(given: dict[str, str | None], login: str | None) -> None:
    """Through sudo, the audit log names the officer's own login (SUDO_USER, set by sudo)."""
    if not login:
        return
    if given.get(OPERATOR) not in (None, login):
        raise DoorRefused(
            f"through the officers' door the audit log names your own login ({login}): "
            f"leave out {OPERATOR}, or give {OPERATOR} {login}; nothing was changed"
        )
    given[OPERATOR] = login


def plan(config: DoorConfig, argv: Sequence[str], workspace: Path, login: str | None = None) -> Plan:
    """The real command line for the caller's `argv`, with the data directory and every path fixed.

    Security: options go to the real parser as `--option=value` with values that cannot
    look like options, and the door's own `--data-dir` comes last, so neither an
    abbreviation (`--data`) nor a repeated option can choose another directory; `check`
    then verifies the parsed result independently. With `login` (the sudo caller), the
    operator recorded on audit entries is that login, not a name the caller types.
    """
    path, rest = _command(argv)
    allowed = ALLOWED[path]
    try:
        given = vars(_caller_parser(path, allowed).parse_args(rest))
    except SystemExit as exc:
        if exc.code:  # argparse printed what was wrong
            raise DoorRefused("see the usage above; nothing was changed") from None
        raise
    if OPERATOR in allowed.values:
        _operator_is_login(given, login)
    real = [*path]
    for option in allowed.values:
        if given.get(option) is not None:
            real.append(f"{option}={_value(given[option])}")
    real += [flag for flag in allowed.flags if given.get(flag) and flag != CHECKPOINT_ON_STDIN]
    result = Plan(real, config.data_dir, {config.data_dir})
    if allowed.output:
        result.output = workspace / "output"
        result.paths.add(result.output)
        real.append(f"{allowed.output}={result.output}")
    if allowed.backup_sets:
        if config.backup_dir is None:
            raise DoorRefused("no backup_dir in the door's config: backup sets are not on this door")
        result.paths.add(config.backup_dir)
        real.append(f"--to={config.backup_dir}")
    if allowed.checkpoint and given.get(CHECKPOINT_ON_STDIN):
        checkpoint = workspace / "checkpoint"
        data = sys.stdin.buffer.read(CHECKPOINT_MAX_BYTES + 1)
        if len(data) > CHECKPOINT_MAX_BYTES:
            raise DoorRefused("that checkpoint is too large; nothing was checked")
        checkpoint.write_bytes(data)
        result.paths.add(checkpoint)
        real.append(f"--checkpoint={checkpoint}")
    real.append(f"--data-dir={config.data_dir}")
    names = given.get("names") or []
    real += [_value(name) for name in names]
    return result


def check(args: argparse.Namespace, planned: Plan) -> None:
    """Refuse unless the parsed command names the fixed data directory and only the door's paths.

    Security: independent of how `plan` spelt the command line: whatever the real parser
    made of it, a path the door did not choose is never used.
    """
    if getattr(args, "data_dir", None) != planned.data_dir:
        raise DoorRefused("the officers' door works only on its configured data directory")
    for name, value in vars(args).items():
        if isinstance(value, Path) and value not in planned.paths:
            raise DoorRefused(f"the officers' door chooses every path itself (not {name})")


# What the door needs of the resource limits sudo passes on from the caller (insider finding
# D3): the name `ulimit` gives each, and the least hard limit the door runs under.
_UNLIMITED = resource.RLIM_INFINITY
NEEDED_LIMITS: Mapping[int, tuple[str, str, int]] = {
    resource.RLIMIT_FSIZE: ("file size", "-f", _UNLIMITED),
    resource.RLIMIT_AS: ("virtual memory", "-v", _UNLIMITED),
    resource.RLIMIT_DATA: ("data size", "-d", _UNLIMITED),
    resource.RLIMIT_CPU: ("CPU time", "-t", _UNLIMITED),
    resource.RLIMIT_NOFILE: ("open files", "-n", 1024),
}


def _enough(hard: int, needed: int) -> bool:
    if needed == _UNLIMITED:
        return hard == _UNLIMITED
    return hard == _UNLIMITED or hard >= needed


def raise_limits() -> None:
    """Raise each soft limit the door depends on to its hard limit; refuse if a hard one is too low.

    Security (insider finding D3): sudo keeps the caller's limits, and `ulimit -f 0` made a
    database command hang for good as the service user, with the database open. A soft
    limit the caller lowered is raised here; a hard one cannot be, so the door refuses before
    opening anything, and says which limit.
    """
    low = []
    for which, (name, flag, needed) in NEEDED_LIMITS.items():
        soft, hard = resource.getrlimit(which)
        if not _enough(hard, needed):
            wanted = "unlimited" if needed == _UNLIMITED else str(needed)
            low.append(f"{name} (`ulimit -H {flag}` must be {wanted})")
        elif soft != hard:
            resource.setrlimit(which, (hard, hard))
    if low:
        raise DoorRefused(
            "your session's hard resource limits are too low for the officers' door: "
            f"{', '.join(low)}. Run it from a new login session with the system's limits; "
            "nothing was changed"
        )


@contextmanager
def opened(config_path: Path, argv: Sequence[str]) -> Iterator[Plan]:
    """Check the process, the config and the data directory, then yield the plan for `argv`.

    A private folder inside the data directory holds an output or checkpoint while the
    command runs; it is removed afterwards, whatever happened.
    Security: the caller's resource limits raised or refused (`raise_limits`); umask 0077; a
    file-size limit that still bites makes writes fail, not kill us; no core dump (a signal
    relayed by sudo must not leave the custodian key on disk).
    """
    refuse_environment(os.environ)
    raise_limits()
    os.umask(0o077)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.chdir("/")
    config = read_config(config_path)
    refuse_shared(config.data_dir)
    workspace = Path(tempfile.mkdtemp(prefix=".officer-door-", dir=config.data_dir))
    try:
        planned = plan(config, argv, workspace, login=os.environ.get("SUDO_USER"))
        if planned.output is not None and sys.stdout.isatty():
            raise DoorRefused(
                f"`{' '.join(argv[:2])}` writes its file to standard output: redirect it, e.g. "
                f"`sudo -u tipdrop {PROG} {' '.join(argv[:2])} > FILE`"
            )
        yield planned
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


@contextmanager
def output_aside(planned: Plan) -> Iterator[None]:
    """While a command that writes a file runs, its messages go to standard error."""
    if planned.output is None:
        yield
        return
    with redirect_stdout(sys.stderr):
        yield


def deliver(planned: Plan) -> None:
    """Copy the file the command wrote to standard output (the caller redirects it)."""
    if planned.output is None:
        return
    sys.stdout.flush()
    with planned.output.open("rb") as source:
        shutil.copyfileobj(source, sys.stdout.buffer)
    sys.stdout.buffer.flush()
