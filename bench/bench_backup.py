"""Backup sets: `make_backup` over a data directory with many encrypted attachments, against a
bare copy of the same files (read, write, fsync each) in the same run.

Fills a temporary data directory through the real use cases (reports with files, encrypted
as they arrive), then times one backup set and one restore check of it, and the bare copy.
Prints the sizes, throughput and the ratio to the bare copy (the set adds the database
snapshot, size checks and the manifest; target ≥ 0.5). Not a test: no assertions on time.

    python bench/bench_backup.py [--files 40] [--mib 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import custodian_keys
from dropbox_server.backups import sets
from dropbox_server.backups.restore import check_set
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.services import open_services
from receipt_codes import KdfParams
from tests.backups.helpers import submit

CHEAP = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
MiB = 1024 * 1024


async def fill(settings: Settings, files: int, mib: int) -> None:
    await custodian_keys.init_with_shares(settings)
    async with open_services(settings) as services:
        for n in range(0, files, 5):
            batch = {f"f{n + i}.bin": os.urandom(mib * MiB) for i in range(min(5, files - n))}
            await submit(services, settings, "kent-police", f"bench report {n}", batch)


def bare_copy(source: Path, target: Path) -> int:
    target.mkdir()
    total = 0
    for path in sorted(p for p in source.iterdir() if p.is_file()):
        with path.open("rb") as src, (target / path.name).open("wb") as dst:
            shutil.copyfileobj(src, dst, MiB)
            dst.flush()
            os.fsync(dst.fileno())
        total += path.stat().st_size
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--mib", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        base = Path(work)
        settings = Settings.for_data_dir(base / "data", receipt_kdf=CHEAP, password_kdf=CHEAP)
        asyncio.run(fill(settings, args.files, args.mib))

        start = time.perf_counter()
        made = sets.make_backup(settings, base / "sets", 3, today())
        backup_s = time.perf_counter() - start
        start = time.perf_counter()
        check_set(made.path)
        check_s = time.perf_counter() - start
        start = time.perf_counter()
        bare_bytes = bare_copy(settings.files_dir, base / "bare")
        bare_s = time.perf_counter() - start

        db_mib = (made.path / sets.DATABASE_NAME).stat().st_size / MiB
        file_mib = made.manifest.file_bytes / MiB
        print(f"set: {made.manifest.files} files, {file_mib:.1f} MiB ciphertext, database {db_mib:.2f} MiB")
        print(f"backup set   {backup_s:6.2f} s  {file_mib / backup_s:7.1f} MiB/s")
        print(f"restore check {check_s:5.3f} s (manifest, database copy, every file's size)")
        print(f"bare copy    {bare_s:6.2f} s  {bare_bytes / MiB / bare_s:7.1f} MiB/s")
        print(f"ratio {bare_s / backup_s:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
