"""What one health check costs with a long audit trail: `run.py status` and the staff site's
health page walk the whole keyed chain every time (insider finding F4), so their cost grows
with the log.

Builds a data directory (`init`, cheap argon2id) and appends N entries to its audit log,
really chained under its outside key (written by plain SQL for speed; the entries are
synthetic page views), then times `health.database_checks` (quick_check, keys, certificates,
the whole audit chain, retention). Reference in the same run: the floor of the walk, reading
the same rows with bare sqlite3 and computing each keyed BLAKE2b link over its encoding made
beforehand. Also prints the entry encoding's cost both ways (direct, and json.dumps, which
the chain is defined by).

    python bench/bench_health.py [--entries 200000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import custodian_keys
from bench.staff_site import CHEAP
from dropbox_server import audit, envelope
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.health import database_checks
from dropbox_server.store.audit import GENESIS, AuditEntry
from dropbox_server.store.database import read_audit_seed

BATCH = 10_000


def append_entries(db_path: Path, seed: bytes, count: int) -> None:
    """Chain `count` synthetic page views onto the log, as the store would link them."""
    day = today()
    with sqlite3.connect(db_path) as raw:
        last = raw.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, previous = (int(last[0]), bytes(last[1])) if last else (0, GENESIS)
        rows = []
        for n in range(count):
            seq += 1
            entry = AuditEntry(day, "report_viewed", 3, None, "kent-police", f"KP-{n:08d}", "")
            new = audit.link(seq, previous, entry, seed)
            rows.append((seq, entry.at, entry.action, entry.staff_id, entry.username, entry.unit_id,
                         entry.report_id, entry.detail, previous, new))
            previous = new
            if len(rows) == BATCH or n == count - 1:
                raw.executemany("INSERT INTO audit_log (seq, at, action, staff_id, username, unit_id, "
                                "report_id, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
                rows.clear()


def bare_walk(db_path: Path, seed: bytes, encoded: list[bytes]) -> float:
    """Seconds to read every row and recompute its keyed link from ready-made encodings."""
    key = envelope.derive_key(seed, audit.CHAIN_PURPOSE)
    started = time.perf_counter()
    with sqlite3.connect(db_path) as raw:
        previous = GENESIS
        stored_hashes = raw.execute("SELECT hash FROM audit_log ORDER BY seq")
        for (stored,), body in zip(stored_hashes, encoded, strict=True):
            previous = envelope.keyed_chain_digest(key, previous, body)
            if previous != bytes(stored):
                raise SystemExit("the reference walk found a broken link")
    return time.perf_counter() - started


def encodings(db_path: Path) -> list[tuple[int, AuditEntry]]:
    with sqlite3.connect(db_path) as raw:
        rows = raw.execute("SELECT seq, at, action, staff_id, username, unit_id, report_id, detail "
                           "FROM audit_log ORDER BY seq")
        return [(int(r[0]), AuditEntry(r[1], r[2], r[3], r[4], r[5], r[6], r[7])) for r in rows]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.for_data_dir(Path(tmp) / "data", receipt_kdf=CHEAP, password_kdf=CHEAP)
        await custodian_keys.init_with_shares(settings)
        seed = read_audit_seed(settings.audit_key_path)
        assert seed is not None
        append_entries(settings.database_path, seed, args.entries)
        entries = encodings(settings.database_path)
        started = time.perf_counter()
        encoded = [audit.encode_entry(seq, e) for seq, e in entries]
        direct = time.perf_counter() - started
        started = time.perf_counter()
        for seq, e in entries:
            audit._encode_generic(seq, e)
        generic = time.perf_counter() - started
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            checks = {c.name: c for c in database_checks(settings, today())}
            times.append(time.perf_counter() - started)
            chain = checks["audit chain"]
            if not chain.ok or chain.facts["entries"] != len(entries):
                raise SystemExit(f"the health check did not walk the whole chain: {chain.summary}")
        bare = statistics.median(bare_walk(settings.database_path, seed, encoded) for _ in range(args.runs))
    check = statistics.median(times)
    per = 1e6 / len(entries)
    print(f"audit entries: {len(entries):,}")
    print(f"health database checks (whole chain), median of {args.runs}: {check:6.2f} s "
          f"({check * per:5.1f} µs an entry)")
    print(f"reference, bare read and keyed link of each row: {bare:6.2f} s ({bare * per:5.1f} µs an entry); "
          f"ratio {check / bare:4.1f}")
    print(f"entry encoding: direct {direct * per:5.2f} µs, json.dumps {generic * per:5.2f} µs an entry "
          f"(ratio {generic / direct:4.1f})")


if __name__ == "__main__":
    asyncio.run(main())
