"""Settings: one frozen object, built once at start and passed in; never a module global."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dropbox_server.store.database import AUDIT_KEY_NAME
from receipt_codes import KdfParams

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class FormLimits:
    """Sizes the forms accept; anything larger is refused with a friendly page."""

    short_field_chars: int = 200
    long_field_chars: int = 50_000
    message_chars: int = 20_000
    form_body_bytes: int = 4 * 1024 * 1024
    # A body that stops arriving for this long is abandoned (slow-loris); a slow but steady
    # upload over Tor keeps going however long it takes.
    body_idle_seconds: float = 60.0


@dataclass(frozen=True)
class FileLimits:
    """Attachments: streamed and encrypted as they arrive, so these bound disk, not memory.

    SecureDrop accepts 500 MiB per file; so do we, with up to 1 GiB in one submission.
    """

    file_bytes: int = 500 * 1024 * 1024
    submission_bytes: int = 1024 * 1024 * 1024
    files_per_submission: int = 10
    name_chars: int = 255

    def __post_init__(self) -> None:
        if min(self.file_bytes, self.submission_bytes, self.files_per_submission) < 0:
            raise ValueError("file limits cannot be negative")


@dataclass(frozen=True)
class UploadLimits:
    """Across the whole reporter site: how many uploads at once, how much disk stays free,
    and how many file bytes are accepted in any hour (bounding how fast anyone can fill it)."""

    concurrent_uploads: int = 8
    free_space_watermark_bytes: int = 5 * 1024 * 1024 * 1024
    bytes_per_hour: int = 10 * 1024 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.concurrent_uploads < 1 or self.bytes_per_hour < 1 or self.free_space_watermark_bytes < 0:
            raise ValueError("upload limits must be positive")


@dataclass(frozen=True)
class ThrottleSettings:
    """Global limits: every reporter arrives through Tor, so per-IP limits mean nothing."""

    # None: what the receipt KDF pool measurably derives per second on this machine
    # (kdf.MeasuredRate, at start), and a burst of what the pool can hold (workers + waiting).
    receipt_checks_per_second: float | None = None
    receipt_check_burst: int | None = None
    submissions_per_second: float = 20.0
    submission_burst: int = 40
    max_waiting_kdf: int = 32
    # Staff sign-ins and account changes have their own argon2id pool, so no anonymous
    # load can queue in front of them.
    max_waiting_staff_kdf: int = 8
    # Staff sign-in attempts: per account (by username typed) and across all accounts.
    staff_sign_in_per_account_per_second: float = 1 / 60
    staff_sign_in_per_account_burst: int = 5
    staff_sign_in_per_second: float = 0.5
    staff_sign_in_burst: int = 30


@dataclass(frozen=True)
class ConnectionLimits:
    """Bounds on connections, so half-open or idle ones cannot pile up (slow-loris).

    Both sites share one process's file descriptors: `reserved_fds` are kept for the
    database, attachment files, tor's control port and the KDF pool; the rest is divided
    between the sites, the reporter site getting what the investigator site does not.
    """

    # From a connection's opening (or the end of its previous request) to the end of its
    # request headers; also how long an idle kept-alive connection stays open.
    header_timeout_seconds: float = 30.0
    reporter_connections: int = 4096
    investigator_connections: int = 256
    reserved_fds: int = 512
    max_line_bytes: int = 8190
    max_headers: int = 64
    # After a refusal, how long to read (and discard) a body the client is still sending.
    lingering_seconds: float = 5.0


@dataclass(frozen=True)
class SessionSettings:
    """Lifetimes and caps of in-memory sessions."""

    reporter_idle_seconds: int = 30 * 60
    staff_idle_seconds: int = 30 * 60
    staff_absolute_seconds: int = 8 * 60 * 60
    max_live_sessions: int = 5_000
    sweep_seconds: float = 60


@dataclass(frozen=True)
class RetentionSettings:
    """How long a report is kept after its last activity day, by current outcome.

    A report closed without action (no further action, out of scope) has nothing left to do
    after a short review window; anything else may be needed for a case or an appeal for
    six years. Outcomes not listed use `default_days`.
    """

    default_days: int = 6 * 365 + 2
    outcome_days: tuple[tuple[str, int], ...] = (("no-further-action", 90), ("out-of-scope", 90))
    # How long the unit keeps the record that a reporter withdrew a report.
    withdrawn_record_days: int = 6 * 365 + 2
    run_every_seconds: float = 24 * 60 * 60

    def __post_init__(self) -> None:
        if min([self.default_days, self.withdrawn_record_days, *(d for _, d in self.outcome_days)]) < 1:
            raise ValueError("retention periods must be at least one day")

    def days_for(self, outcome: str) -> int:
        return dict(self.outcome_days).get(outcome, self.default_days)


@dataclass(frozen=True)
class HealthSettings:
    """What `run.py status` counts as healthy (besides the upload watermark for free disk)."""

    # The backup timer runs daily; one missed night is tolerated, two are not.
    backup_max_age_days: int = 2
    # A unit key older than this should be rotated (`keys rotate-unit-key`).
    unit_key_max_age_days: int = 2 * 365
    # Retention runs daily: a report still there this many days after it fell due means
    # the daily job is not running.
    retention_grace_days: int = 2


# Key-wrapping argon2id (staff private keys): a stolen database copy lets an insider guess a
# staff password offline, one run per guess, so this is four times RFC 9106's second
# recommendation in memory. Each wrapped key records its own cost, so older (cheaper) wraps
# still open and are raised at the member's next sign-in.
WRAP_KDF = KdfParams(time_cost=3, memory_kib=256 * 1024, parallelism=4)

# The demo's throwaway accounts (random passwords, a data directory marked as a demo one):
# OWASP's minimum for argon2id password storage, so ~50 demo enrolments take seconds, not a
# minute, beside the demo's Tor network. Never used for a real data directory.
DEMO_KDF = KdfParams(time_cost=2, memory_kib=19 * 1024, parallelism=1)


def below_wrap_floor(kdf: KdfParams) -> bool:
    """Whether `kdf` makes a staff key wrap cheaper to guess than WRAP_KDF does.

    Security: a guess costs time x memory; parallelism only changes how fast the defender runs
    it, so it is not part of the floor.
    """
    return kdf.time_cost < WRAP_KDF.time_cost or kdf.memory_kib < WRAP_KDF.memory_kib


@dataclass(frozen=True)
class Settings:
    """Everything the service is configured with, for one data directory."""

    data_dir: Path
    receipt_kdf: KdfParams = field(default_factory=KdfParams)
    password_kdf: KdfParams = WRAP_KDF
    receipt_words: int = 7
    host: str = LOOPBACK
    reporter_port: int = 8080
    investigator_port: int = 8081
    kdf_workers: int = field(default_factory=lambda: max(2, os.cpu_count() or 2))
    staff_kdf_workers: int = 1
    limits: FormLimits = field(default_factory=FormLimits)
    files: FileLimits = field(default_factory=FileLimits)
    uploads: UploadLimits = field(default_factory=UploadLimits)
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    sessions: SessionSettings = field(default_factory=SessionSettings)
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    health: HealthSettings = field(default_factory=HealthSettings)
    # The optional HTTPS door (deploy/caddy): off by default. When on, the reporter site
    # tells visitors who came through it that Tor Browser is safer (web/reporter/door.py).
    https_door: bool = False
    # "demo" or "test" for a throwaway data directory (datadir.Throwaway), "" for a real one.
    # Only a throwaway one may have a password_kdf below the floor (cli/settings_args.py).
    throwaway: str = ""

    def __post_init__(self) -> None:
        if self.host != LOOPBACK:
            raise ValueError("both sites bind to 127.0.0.1 only; Tor is their way in")
        if self.receipt_words < 7:
            raise ValueError("receipts need at least 7 words")

    @classmethod
    def for_data_dir(cls, data_dir: Path | str, **overrides: Any) -> Settings:
        """Settings for `data_dir`, with keyword overrides (ports, KDF costs, limits)."""
        return cls(data_dir=Path(data_dir).resolve(), **overrides)

    def with_changes(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "tipdrop.sqlite3"

    @property
    def pepper_path(self) -> Path:
        """The server pepper: kept outside the database, so a database copy alone is not enough."""
        return self.data_dir / "pepper.key"

    @property
    def audit_key_path(self) -> Path:
        """The audit chain's key seed: beside the database, never in it (mode 0600, backed up)."""
        return self.data_dir / AUDIT_KEY_NAME

    @property
    def receipt_kdf_path(self) -> Path:
        return self.data_dir / "receipt-kdf.json"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def onion_dir(self) -> Path:
        return self.data_dir / "onion"

    @property
    def backup_state_path(self) -> Path:
        """Written by `run.py backup`: {"last_good_day": "YYYY-MM-DD", ...}."""
        return self.data_dir / "backup-state.json"
