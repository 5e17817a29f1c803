"""The service's health at a glance: tor, both onions, database, disk, backups, keys, retention.

Each check says whether it is well and one line why, plus a few numbers for machines.
`run.py status` prints them (exit 0 only when every check is well); the same summary can
be shown to supervisors because nothing here reads or names reporter data.

Security: only counts, unit ids, booleans and days are read: no report content, no
staff name, no address, no time finer than a day.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import onion_config
from dropbox_server import audit
from dropbox_server.clock import parse_day
from dropbox_server.config import Settings
from dropbox_server.custody import certify, notices, revoked, unit_check
from dropbox_server.datadir import THROWAWAY_NAME, DataDirError, read_throwaway
from dropbox_server.reports.retention import cutoff
from dropbox_server.store import health as health_store
from dropbox_server.store import unit_admin as unit_store
from dropbox_server.store.database import AuditKeyError, read_audit_seed

GIB = 1024**3
Value = str | int | bool | list[str] | None


@dataclass(frozen=True)
class Check:
    """One line of the summary."""

    name: str
    ok: bool
    summary: str
    facts: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class Health:
    """Every check, on one day."""

    day: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_json(self) -> str:
        return json.dumps({
            "ok": self.ok,
            "day": self.day,
            "checks": {c.name: {"ok": c.ok, "summary": c.summary, **c.facts} for c in self.checks},
        }, indent=2, sort_keys=True)

    def as_text(self) -> str:
        lines = [f"{'ok  ' if c.ok else 'FAIL'}  {c.name:<13} {c.summary}" for c in self.checks]
        lines.append("All is well." if self.ok else "Something needs attention (see FAIL above).")
        return "\n".join(lines)


def tor_checks(data_dir: Path) -> list[Check]:
    """Tor and both onions, as the running `serve` last recorded them."""
    files = onion_config.OnionFiles.for_data_dir(data_dir)
    state = onion_config.read_state(files.state_file)
    if not onion_config.serve_is_running(files.serve_lock) or state is None:
        down = Check("tor", False, "`serve` is not running, so neither onion is published",
                     {"serve_running": False})
        return [down, Check("reporter", False, "not published"),
                Check("investigator", False, "not published")]
    tor = Check("tor", state.tor_up,
                f"{'up' if state.tor_up else 'DOWN (serve is restarting it)'} ({state.mode}); "
                f"restarted {state.tor_restarts} times since serve started",
                {"serve_running": True, "mode": state.mode, "restarts": state.tor_restarts})
    reporter = Check("reporter", state.reporter_published,
                     "onion published" if state.reporter_published else "onion NOT published")
    clients = state.investigator_clients
    investigator = Check(
        "investigator", state.investigator_published,
        f"onion {'published' if state.investigator_published else 'NOT published'}, "
        f"{clients} authorised client{'s' if clients != 1 else ''}",
        {"clients": clients})
    return [tor, reporter, investigator]


def throwaway_checks(settings: Settings) -> list[Check]:
    """A demo or test data directory never counts as well: its staff keys may be cheap to guess."""
    try:
        marker = read_throwaway(settings.data_dir)
    except DataDirError:
        return [Check("throwaway", False, f"{THROWAWAY_NAME} is damaged")]
    if marker is None:
        return []
    t, m, _ = marker.password_kdf
    return [Check("throwaway", False,
                  f"THROWAWAY {marker.purpose} data directory: staff keys wrapped with argon2id "
                  f"t={t}, {m} KiB; never keep real reports here", {"purpose": marker.purpose})]


def disk_check(settings: Settings) -> Check:
    """Free space where the data directory lives, against the watermark."""
    free = shutil.disk_usage(settings.data_dir).free
    ok = free >= settings.uploads.free_space_watermark_bytes
    return Check("disk", ok,
                 f"{free / GIB:.1f} GiB free; new files are refused below "
                 f"{settings.uploads.free_space_watermark_bytes / GIB:.1f} GiB",
                 {"free_bytes": free, "min_free_bytes": settings.uploads.free_space_watermark_bytes})


def backup_check(settings: Settings, today: str) -> Check:
    """Days since the last good backup, from the backup's own record."""
    try:
        raw = json.loads(settings.backup_state_path.read_text(encoding="utf-8"))
        last = str(raw["last_good_day"])
        days = (parse_day(today) - parse_day(last)).days
    except FileNotFoundError:
        return Check("backup", False, "no good backup yet", {"last_good_day": None})
    except (OSError, ValueError, KeyError, TypeError):
        return Check("backup", False, f"{settings.backup_state_path.name} is unreadable",
                     {"last_good_day": None})
    limit = settings.health.backup_max_age_days
    return Check("backup", days <= limit,
                 f"last good backup {days} day{'s' if days != 1 else ''} ago ({last}); "
                 f"limit {limit}", {"last_good_day": last, "days_since": days})


def database_checks(settings: Settings, today: str) -> list[Check]:
    """quick_check, unit keys and their holders, certificates, the audit chain and retention, from one
    read-only look."""
    if not settings.database_path.exists():
        return [Check("database", False, f"no database in {settings.data_dir}")]
    try:
        with health_store.read_only(settings.database_path) as conn:
            integrity = health_store.quick_check(conn)
            if integrity != ["ok"]:
                return [Check("database", False, "quick_check found problems: " + "; ".join(integrity))]
            return [Check("database", True, "quick_check ok"),
                    *_key_checks(conn, settings, today), _certificate_check(conn, settings),
                    _unit_check(conn, settings),
                    _audit_check(conn, settings), _notice_check(conn, settings),
                    _retention_check(conn, settings, today)]
    except sqlite3.Error as exc:
        return [Check("database", False, f"cannot be read ({type(exc).__name__})")]


def _key_checks(conn: sqlite3.Connection, settings: Settings, today: str) -> list[Check]:
    units = health_store.unit_keys(conn)
    now = parse_day(today)
    ages = {u.unit_id: (now - parse_day(u.key_day)).days for u in units if u.key_day}
    limit = settings.health.unit_key_max_age_days
    old = sorted(unit for unit, days in ages.items() if days > limit)
    keyless = sorted(u.unit_id for u in units if u.key_day is None)
    oldest = max(ages.values(), default=0)
    keys = Check("unit keys", not old and not keyless,
                 f"oldest current unit key {oldest} days (limit {limit})"
                 + (f"; older: {', '.join(old)}" if old else "")
                 + (f"; no current key: {', '.join(keyless)}" if keyless else ""),
                 {"oldest_days": oldest, "older_than_limit": old, "without_key": keyless})
    unheld = [u for u in units if u.holders == 0]
    stranded = sorted(u.unit_id for u in unheld if u.reports)
    holders = Check("key holders", not stranded,
                    f"{len(unheld)} of {len(units)} units have no member holding their key"
                    + (f"; with reports nobody can open: {', '.join(stranded)}" if stranded else ""),
                    {"units_without_holder": sorted(u.unit_id for u in unheld),
                     "with_reports": stranded})
    return [keys, holders]


def _audit_seed(settings: Settings, check: str, unchecked: str) -> bytes | Check:
    """The audit seed a check keys its work with, or that check failed, saying why it is not there.

    Security: a missing or unreadable audit.key fails the check; it never passes unchecked.
    """
    try:
        seed = read_audit_seed(settings.audit_key_path)
    except AuditKeyError as exc:
        return Check(check, False, str(exc))
    if seed is None:
        return Check(check, False, f"{settings.audit_key_path.name} is missing: {unchecked}")
    return seed


def _certificate_check(conn: sqlite3.Connection, settings: Settings) -> Check:
    """Every key the server seals to against its certificate, the custodian against its pin,
    and how many actions were refused over a failed one (custody/certify.py)."""
    seed = _audit_seed(settings, "certificates", "no key can be checked")
    if isinstance(seed, Check):
        return seed
    custodian, unit_keys, staff = health_store.key_rows(conn)
    bad: list[str] = []
    if custodian is not None and not (
        certify.matches(custodian[1], certify.custodian_certificate(seed, custodian[0]))
        and certify.matches(certify.read_pin(settings.data_dir / certify.PIN_NAME), custodian[0])
    ):
        bad.append("custodian")
    bad += [f"unit key {u} #{k}" for k, u, p, c in unit_keys
            if not certify.matches(c, certify.unit_key_certificate(seed, k, u, p))]
    bad += [f"staff #{s}" for s, u, r, p, c in staff
            if not certify.matches(c, certify.staff_certificate(seed, s, u, r, p))]
    # Insider finding F2: a member removed from or moved out of a unit, back in it by SQL.
    try:
        listed = revoked.read_revoked(settings.data_dir)
    except DataDirError:
        bad.append(f"the revocation list ({revoked.REVOKED_NAME} is damaged)")
        listed = frozenset()
    bad += [f"staff #{s} (revoked from {u})" for s, u, _r, _p, _c in staff if (s, u) in listed]
    reports = [b for b in health_store.report_bindings(conn) if not certify.binding_holds(seed, b)]
    # Security (insider finding F4): a refusal keeps the check failing until security staff
    # acknowledge it (`audit acknowledge`, audited), so swapping a key, being refused and
    # swapping it back does not leave the check well.
    refused, unacknowledged = health_store.refused_key_checks(conn)
    summary = ("every key the server seals to is certified" if not bad and not reports
               else "FAILED (the database may have been altered): " + ", ".join(bad[:5])
               + (f"; {len(reports)} report(s)" if reports else ""))
    if unacknowledged:
        summary += (f"; {unacknowledged} action(s) refused over a failed certificate since the last "
                    "acknowledgement (audit: key_check_failed; then `run.py audit acknowledge`)")
    return Check("certificates", not bad and not reports and not unacknowledged, summary,
                 {"failed_keys": bad, "failed_reports": len(reports), "failed": len(bad) + len(reports),
                  "refused": refused, "unacknowledged": unacknowledged})


def _unit_check(conn: sqlite3.Connection, settings: Settings) -> Check:
    """Every unit against its certificate, the name rule and its name key, and no two alike
    (custody/unit_check.py; insider findings U2, U3): a failing unit is on no form. And every
    unit that should have a row has one (V3)."""
    seed = _audit_seed(settings, "units", "no unit can be checked")
    if isinstance(seed, Check):
        return seed
    problems = unit_check.unit_problems(seed, unit_store.unit_facts_in(conn))
    problems.update(unit_check.missing_units(*unit_store.named_units_in(conn)))
    named = sorted(problems)
    summary = ("every unit is as certified, with a name of its own" if not problems
               else "FAILED, not offered on any form: "
               + "; ".join(f"{u} ({problems[u]})" for u in named[:5])
               + (f"; and {len(named) - 5} more" if len(named) > 5 else ""))
    return Check("units", not problems, summary, {"failed_units": named, "failed": len(named)})


def _audit_check(conn: sqlite3.Connection, settings: Settings) -> Check:
    """The keyed audit chain, whole, and that it still reaches the last checkpoint kept beside it.

    Security (insider finding F4): an entry edited, inserted or deleted by SQL, or the log cut
    back before the last checkpoint, fails here, not only under `audit verify`.
    """
    seed = _audit_seed(settings, "audit chain", "the chain cannot be checked")
    if isinstance(seed, Check):
        return seed
    cp_path = settings.data_dir / audit.CHECKPOINT_NAME
    try:
        checkpoint = audit.parse_checkpoint(cp_path.read_text("utf-8")) if cp_path.exists() else None
        result = audit.verify_rows(health_store.audit_rows(conn), seed, checkpoint)
    except (OSError, UnicodeDecodeError, audit.CheckpointError) as exc:
        return Check("audit chain", False, f"{audit.CHECKPOINT_NAME}: {exc}")
    except (TypeError, ValueError):  # an entry of types no writer of ours stores (N5)
        return Check("audit chain", False, "BROKEN: an entry holds values of the wrong types "
                     "(see `run.py audit verify`)", {"broken_entry": None})
    facts: dict[str, Value] = {
        "entries": result.entries, "checkpoint": checkpoint.seq if checkpoint else None,
    }
    if not result.ok:
        facts["broken_entry"] = result.broken_seq
        return Check("audit chain", False,
                     f"BROKEN: entry {result.broken_seq} {result.problem} (see `run.py audit verify`)", facts)
    reach = (f"; reaches the last checkpoint (entry {checkpoint.seq})" if checkpoint
             else "; no checkpoint kept yet")
    return Check("audit chain", True, f"{result.entries} entries link up under the outside key{reach}", facts)


def _notice_check(conn: sqlite3.Connection, settings: Settings) -> Check:
    """Every acknowledgement of a "new key holder" notice against its MAC (custody/notices.py).

    Security (insider finding F10): one made or moved by SQL is not honoured (the member still
    sees the notice) and fails here, so the attempt itself is seen.
    """
    try:
        seed = read_audit_seed(settings.audit_key_path)
    except AuditKeyError as exc:
        return Check("key notices", False, str(exc))
    if seed is None:
        missing = f"{settings.audit_key_path.name} is missing: no acknowledgement can be checked"
        return Check("key notices", False, missing)
    rows, malformed = health_store.key_holder_acks(conn)
    bad = [*notices.forged_acknowledgements(seed, rows), *(["a row of the wrong types"] * malformed)]
    if bad:
        return Check("key notices", False,
                     f"FAILED: {len(bad)} acknowledgement(s) of a new key holder notice were not made "
                     "here (the database may have been altered; the members still see those notices): "
                     + ", ".join(bad[:5]), {"forged": len(bad)})
    return Check("key notices", True, "every acknowledged key holder notice was acknowledged by its member",
                 {"forged": 0})


def _retention_check(conn: sqlite3.Connection, settings: Settings, today: str) -> Check:
    policy = settings.retention
    late = (parse_day(today) - timedelta(days=settings.health.retention_grace_days)).isoformat()
    due = overdue = 0
    for outcome in health_store.outcomes(conn):
        days = policy.days_for(outcome)
        due += health_store.count_inactive_since(conn, outcome, cutoff(today, days))
        overdue += health_store.count_inactive_since(conn, outcome, cutoff(late, days))
    summary = f"{due} report{'s' if due != 1 else ''} due for deletion"
    if overdue:
        summary += f", {overdue} overdue (is the daily retention job running?)"
    return Check("retention", overdue == 0, summary, {"due": due, "overdue": overdue})


def gather(settings: Settings, today: str) -> Health:
    """Every check for this data directory."""
    if not settings.data_dir.is_dir():
        return Health(today, [Check("data", False, f"{settings.data_dir} is not a data directory")])
    return Health(today, [
        *throwaway_checks(settings),
        *tor_checks(settings.data_dir),
        *database_checks(settings, today),
        disk_check(settings),
        backup_check(settings, today),
    ])
