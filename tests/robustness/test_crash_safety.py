"""Invariant 6: an acknowledged submission is never lost, whatever moment the server dies at.

The real server runs as a separate process; 200 submissions run concurrently; the server is
killed with SIGKILL at a (seeded) random moment, restarted, and every submission whose
receipt reached its client must be readable by the unit and reachable with its receipt.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from bench.custodian_keys import shares_file
from bench.server_process import run_cli, served
from dropbox_server.custody import keyring
from dropbox_server.forces import DESK_ID
from dropbox_server.reports import casework
from dropbox_server.store import open_database
from dropbox_server.store import reports as report_store
from dropbox_server.store import staff as staff_store
from tests.enrol_flow import enrolment_code, redeem_code
from tests.journeys import Reporter

CHEAP_ENV = {"TIPDROP_KDF": "1,8192,1"}
SUBMISSIONS = 200
ANALYST_PASSWORD = "walnut-comet-sierra-velvet-anchor"
CONCURRENCY = 16


async def submit_many(base: str, count: int, tag: str) -> tuple[list[tuple[str, str]], int]:
    """Submit `count` reports; return (receipt, marker) for those acknowledged, and failures."""
    acknowledged: list[tuple[str, str]] = []
    failures = 0
    queue = list(range(count))

    async def worker() -> None:
        nonlocal failures
        async with aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=30)
        ) as http:
            reporter = Reporter(http, base)
            while queue:
                n = queue.pop()
                marker = f"crash-{tag}-{n}"
                # Every third submission carries a file, so uploads are in flight at the kill.
                files = [(f"evidence-{n}.bin", bytes([n % 251]) * 300_000)] if n % 3 == 0 else None
                try:
                    acknowledged.append((await reporter.submit_ok(files, what_happened=marker), marker))
                except (TimeoutError, aiohttp.ClientError, AssertionError):
                    failures += 1
                reporter.pages.clear()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return acknowledged, failures


async def kill_after(pid: int, delay: float) -> None:
    await asyncio.sleep(delay)
    os.kill(pid, signal.SIGKILL)


def consistency_problems(data_dir: Path) -> list[str]:
    """Half-written rows, and ciphertext files that no row names or rows whose file is missing."""
    with sqlite3.connect(data_dir / "tipdrop.sqlite3") as conn:
        bad = conn.execute(
            "SELECT id FROM reports r WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.report_seq = r.seq "
            "AND i.kind = 'report') OR NOT EXISTS (SELECT 1 FROM report_key_grants g "
            "WHERE g.report_seq = r.seq AND g.purpose = 'content')"
        ).fetchall()
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        referenced = {row[0] for row in conn.execute("SELECT id FROM files")}
    problems = [f"report {r[0]} is half-written" for r in bad] + ([] if integrity == "ok" else [integrity])
    on_disk = {p.name for p in (data_dir / "files").iterdir() if p.is_file()}
    problems += [f"orphan ciphertext {name}" for name in sorted(on_disk - referenced)]
    problems += [f"missing ciphertext {name}" for name in sorted(referenced - on_disk)]
    temp = data_dir / "files" / "tmp"
    problems += [f"leftover upload {p.name}" for p in (temp.iterdir() if temp.exists() else [])]
    return problems


async def unit_can_read(data_dir: Path, markers: dict[str, str]) -> list[str]:
    """Open every report as a desk analyst; return markers that could not be read."""
    db = await open_database(data_dir / "tipdrop.sqlite3")
    try:
        row = await staff_store.get_staff_by_username(db, "dora")
        assert row is not None
        analyst = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, ANALYST_PASSWORD))
        seen = set()
        for report in await report_store.list_unit_reports(db, DESK_ID, 10_000, 0):
            seen.add((await casework.open_report(db, report, analyst.unit_keys)).content.what_happened)
        return [m for m in markers.values() if m not in seen]
    finally:
        await db.close()


@pytest.mark.parametrize("kill_point", [0, 1, 2])
async def test_sigkill_mid_load_loses_no_acknowledged_report(tmp_path: Path, kill_point: int) -> None:
    rng = random.Random(20261128 + kill_point)
    data_dir = tmp_path / "data"
    acknowledged: list[tuple[str, str]] = []
    with served(data_dir, CHEAP_ENV) as server:
        asked = run_cli(
            ["keys", "add-investigator", "--data-dir", str(data_dir), "--unit", DESK_ID,  # reports reach the desk
             "--role", "desk_analyst", "--username", "dora", "--operator", "jo.smith"],
            "", CHEAP_ENV,
        )
        redeemed, _ = await redeem_code(data_dir, enrolment_code(asked), ANALYST_PASSWORD)
        run_cli(
            ["keys", "approve-first", "--data-dir", str(data_dir), "--username", "dora", "--operator", "jo.smith"],
            "".join(s + "\n" for s in shares_file(data_dir).read_text().splitlines()[:3]) + redeemed.fingerprint + "\n",
            CHEAP_ENV,
        )
        warm, _ = await submit_many(server.reporter_url, 5, f"warm{kill_point}")
        acknowledged += warm
        delay = rng.uniform(0.2, 1.5)
        killer = asyncio.create_task(kill_after(server.process.pid, delay))
        loaded, failures = await submit_many(server.reporter_url, SUBMISSIONS, f"k{kill_point}")
        await killer
        acknowledged += loaded
        server.process.wait(timeout=10)
    assert failures > 0, f"the kill at {delay:.2f}s came after all submissions finished"
    with sqlite3.connect(data_dir / "tipdrop.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    with served(data_dir, CHEAP_ENV, initialise=False) as restarted:
        # The start-up sweep has run: no orphan or half-written anything may survive it.
        assert consistency_problems(data_dir) == []
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            reporter = Reporter(http, restarted.reporter_url)
            for receipt, _ in acknowledged:
                resp = await reporter.check(receipt)
                while resp.status == 429:  # the global receipt throttle: wait as asked
                    await asyncio.sleep(int(resp.headers["Retry-After"]))
                    resp = await reporter.check(receipt)
                assert resp.headers["Location"].startswith("/thread"), receipt
                http.cookie_jar.clear()
    assert await unit_can_read(data_dir, dict(acknowledged)) == []
    verdict = run_cli(["audit", "verify", "--data-dir", str(data_dir)], env=CHEAP_ENV)
    assert "ok" in verdict.lower() or "intact" in verdict.lower(), verdict
    print(
        f"kill point {kill_point}: SIGKILL at {delay:.2f}s; acknowledged {len(acknowledged)}, "
        f"lost 0, refused mid-flight {failures}, half-written rows 0, orphans 0, audit chain verifies"
    )
