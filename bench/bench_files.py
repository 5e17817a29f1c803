"""Attachments: 1 GiB up and 1 GiB down over HTTP, server memory and throughput against bare secretstream.

Starts the real server as a separate process (`run.py init`, `run.py serve --no-tor`, cheap
argon2id through TIPDROP_KDF) on a temporary data directory, then:

- upload: a reporter sends 1 GiB in one report (three files: the per-file limit is 500 MiB)
  over HTTP to 127.0.0.1; the server reads the multipart stream and encrypts as it goes;
- download: the unit replies to that report with a 1 GiB file (stored through the real
  use case, files.casework.reply_with_files, from this process), and the reporter, signed
  in with the receipt, downloads it over HTTP from the server (reporter download of a
  reply attachment), decrypted on the fly;
- bare: the same bytes through filecrypt.FileSealer + os.write (+ fsync), and the stored
  file through filecrypt.FileOpener, in this process, in the same run.

Prints the server's peak RSS growth during each transfer (Linux: /proc/PID/clear_refs
resets VmHWM, then VmHWM - VmRSS before; target ≤ 64 MiB), throughput, and the ratio to
bare (target ≥ 0.5). Not a test: no assertions on time; the bytes are checked by SHA-256.

    python bench/bench_files.py [--gib 1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp.payload import AsyncIterablePayload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import custodian_keys
from bench.server_process import served
from dropbox_server import envelope, filecrypt
from dropbox_server.clock import today
from dropbox_server.config import FileLimits
from dropbox_server.custody import keyring
from dropbox_server.datadir import load_pepper
from dropbox_server.files.disk import FileDir
from dropbox_server.files.upload import UploadBatch
from dropbox_server.kdf import KdfRunner, ReceiptContext
from dropbox_server.reports import case_files as file_cases
from dropbox_server.reports.access import load_case
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.store import files as file_store
from dropbox_server.store import open_database
from dropbox_server.store import staff as staff_store
from receipt_codes import KdfParams, parse_receipt
from tests.journeys import _RECEIPT, Reporter, csrf_from, report_fields

KDF = "1,8192,1"
CHEAP = KdfParams(time_cost=1, memory_kib=8192, parallelism=1)
GIB = 1024 * 1024 * 1024
MIB = 1024 * 1024
CHUNK = 256 * 1024
_PATTERN = os.urandom(4 * MIB)

BENCH_PASSWORD = "bench password 1 cobalt fjord"


def pieces(total: int) -> list[int]:
    """Split `total` into files under the 500 MiB per-file limit."""
    count = -(-total // FileLimits().file_bytes)
    base = total // count
    return [base] * (count - 1) + [total - base * (count - 1)]


def data_chunk(index: int, seed: int) -> bytes:
    """Deterministic, incompressible-looking content without holding the file in memory."""
    offset = (index * 7919 + seed * 104729) % (len(_PATTERN) - CHUNK)
    return index.to_bytes(8, "big") + _PATTERN[offset : offset + CHUNK - 8]


async def generate(size: int, seed: int, digest: hashlib._Hash) -> AsyncIterator[bytes]:
    sent, index = 0, 0
    while sent < size:
        block = data_chunk(index, seed)[: size - sent]
        digest.update(block)
        sent += len(block)
        index += 1
        yield block


class Memory:
    """Peak resident memory of the server process around one transfer."""

    def __init__(self, pid: int):
        self.pid = pid

    def _field(self, name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"{name} not in /proc/{self.pid}/status")

    def start(self) -> None:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        self.before = self._field("VmRSS")

    def growth(self) -> int:
        return self._field("VmHWM") - self.before


async def upload(reporter: Reporter, total: int) -> tuple[str, float, list[str]]:
    """One report with `total` bytes of files; returns (receipt, seconds, file digests)."""
    _, page = await reporter.get("/report")
    fields = report_fields() | {"csrf_token": csrf_from(page)}
    digests = []
    with aiohttp.MultipartWriter("form-data") as writer:
        for name, value in fields.items():
            writer.append(value).set_content_disposition("form-data", name=name)
        for n, size in enumerate(pieces(total)):
            digest = hashlib.sha256()
            digests.append(digest)
            part = writer.append_payload(AsyncIterablePayload(generate(size, n, digest)))
            part.set_content_disposition("form-data", name="attachments", filename=f"evidence-{n}.bin")
    start = time.perf_counter()
    async with reporter.http.post(reporter.base + "/report", data=writer) as resp:
        page = await resp.text()
    seconds = time.perf_counter() - start
    match = _RECEIPT.search(page)
    if resp.status != 200 or not match:
        raise RuntimeError(f"upload failed: HTTP {resp.status}")
    return match.group(1).strip(), seconds, [d.hexdigest() for d in digests]


async def store_reply(data_dir: Path, receipt_report_id: str, size: int) -> tuple[str, str]:
    """A unit reply carrying one file of `size` bytes, through the real use case; (file id, sha256)."""
    db = await open_database(data_dir / "tipdrop.sqlite3")
    try:
        await custodian_keys.enrol(db, data_dir, "bench", "kent-police", BENCH_PASSWORD, CHEAP)
        row = await staff_store.get_staff_by_username(db, "bench")
        if row is None:
            raise RuntimeError("enrolment failed")
        staff = await keyring.unlock_staff(db, row, keyring.unwrap_staff_key(row, BENCH_PASSWORD))
        case = await load_case(db, staff, receipt_report_id)
        digest = hashlib.sha256()
        limits = FileLimits(file_bytes=size, submission_bytes=size)
        async with UploadBatch(
            FileDir(data_dir / "files"), file_cases.reply_recipients(case), limits
        ) as batch:
            sink = await batch.begin("reply.bin", "application/octet-stream")
            async for block in generate(size, 99, digest):
                await sink.write(block)
            await sink.finish()
            await file_cases.reply_with_files(db, staff, case.report.id, "see file", 1000, today(), batch)
        [row_file] = await file_store.files_of_report(db, case.report.seq, ("unit_reply",))
        return row_file.id, digest.hexdigest()
    finally:
        await db.close()


async def download(reporter: Reporter, file_id: str) -> tuple[float, str, int]:
    digest, size = hashlib.sha256(), 0
    start = time.perf_counter()
    async with reporter.http.get(f"{reporter.base}/thread/files/{file_id}") as resp:
        if resp.status != 200:
            raise RuntimeError(f"download failed: HTTP {resp.status}")
        async for block in resp.content.iter_chunked(CHUNK):
            digest.update(block)
            size += len(block)
    return time.perf_counter() - start, digest.hexdigest(), size


def bare_seal(folder: Path, total: int) -> float:
    """secretstream encrypt-and-write of `total` bytes in the server's chunk size, fsynced."""
    path = folder / "bare.bin"
    start = time.perf_counter()
    sealer = filecrypt.FileSealer(envelope.random_key(), b"bench")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, sealer.header)
        sent, index = 0, 0
        while sent < total:
            block = data_chunk(index, 7)[: total - sent]
            os.write(fd, sealer.push(block))
            sent, index = sent + len(block), index + 1
        for record in sealer.finish():
            os.write(fd, record)
        os.fsync(fd)
    finally:
        os.close(fd)
    seconds = time.perf_counter() - start
    path.unlink()
    return seconds


def bare_open(path: Path, total: int) -> float:
    """secretstream read-and-decrypt of a sealed file of `total` bytes (freshly made here)."""
    key = envelope.random_key()
    sealer = filecrypt.FileSealer(key, b"bench")
    with path.open("wb") as out:
        out.write(sealer.header)
        sent, index = 0, 0
        while sent < total:
            block = data_chunk(index, 5)[: total - sent]
            out.write(sealer.push(block))
            sent, index = sent + len(block), index + 1
        for record in sealer.finish():
            out.write(record)
    start = time.perf_counter()
    with path.open("rb") as handle:
        opener = filecrypt.FileOpener(key, handle.read(filecrypt.FILE_HEADER_BYTES), b"bench")
        while record := handle.read(filecrypt.FILE_RECORD_BYTES):
            opener.pull(record)
        opener.close()
    seconds = time.perf_counter() - start
    path.unlink()
    return seconds


def report_line(label: str, total: int, seconds: float, bare: float, growth: int) -> None:
    rate, bare_rate = total / seconds / MIB, total / bare / MIB
    print(f"{label}:")
    print(f"  {total / MIB:8.0f} MiB in {seconds:6.2f} s  = {rate:7.1f} MiB/s over HTTP")
    print(f"  bare secretstream: {bare_rate:7.1f} MiB/s   ratio {rate / bare_rate:4.2f}  (target >= 0.5)")
    print(f"  server peak RSS growth: {growth / MIB:6.1f} MiB  (target <= 64 MiB)")


async def run(total: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-files-") as tmp:
        data_dir = Path(tmp) / "data"
        with served(data_dir, {"TIPDROP_KDF": KDF}) as server:
            memory = Memory(server.process.pid)
            timeout = aiohttp.ClientTimeout(total=None, sock_read=600)
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http:
                reporter = Reporter(http, server.reporter_url)
                await upload(reporter, 3 * MIB)  # warm-up: code paths, pools, caches
                memory.start()
                receipt, up_seconds, _ = await upload(reporter, total)
                up_growth = memory.growth()
                on_disk = sum(p.stat().st_size for p in (data_dir / "files").glob("*") if p.is_file())
                await reporter.open_thread(receipt)
                report_id = await report_id_for(data_dir, receipt)
                file_id, sent_digest = await store_reply(data_dir, report_id, total)
                memory.start()
                down_seconds, got_digest, got_size = await download(reporter, file_id)
                down_growth = memory.growth()
            if got_digest != sent_digest or got_size != total:
                raise RuntimeError("the downloaded file differs from what was stored")
            bare_up = bare_seal(data_dir, total)
            bare_down = bare_open(data_dir / "bare-open.bin", total)
        print(
            f"files bench: {total / GIB:.2f} GiB each way, server pid {server.process.pid}, "
            f"{os.cpu_count()} cores"
        )
        report_line(
            f"upload (reporter report with {len(pieces(total))} files, multipart over HTTP)",
            total,
            up_seconds,
            bare_up,
            up_growth,
        )
        print(f"  stored ciphertext on disk after upload: {on_disk / MIB:.0f} MiB (padded)")
        report_line(
            "download (reporter download of a reply attachment over HTTP)",
            total,
            down_seconds,
            bare_down,
            down_growth,
        )
        print("  download verified byte-exact by SHA-256")


async def report_id_for(data_dir: Path, receipt: str) -> str:
    """The id of the report a receipt opens (one argon2id run, as a check-back does)."""
    db = await open_database(data_dir / "tipdrop.sqlite3")
    runner = KdfRunner(1, 4)
    try:
        ctx = ReceiptContext(load_pepper(data_dir / "pepper.key"), CHEAP, runner, 7)
        access = await open_with_receipt(db, ctx, parse_receipt(receipt))
        if access is None:
            raise RuntimeError("the receipt did not open its report")
        return access.report_id
    finally:
        runner.close()
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0, help="size of each transfer in GiB (default 1)")
    args = parser.parse_args()
    asyncio.run(run(int(args.gib * GIB)))


if __name__ == "__main__":
    main()
