"""The service needs to write nothing but its data directory: the real `serve` runs in a private
mount namespace where everything else is read-only and /tmp is an empty tmpfs (what the unit's
ProtectSystem=strict, ReadWritePaths and PrivateTmp give it), and a reporter with a file, a
check-back and a clean stop all work.

This runs wherever `unshare -m` works (no systemd needed); tests/deploy/test_units.py checks the
unit itself under systemd-run where PID 1 is systemd.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.backups.helpers import ROOT, settings_at
from tests.conftest import init_test_data_dir
from tests.journeys import Reporter
from tests.scan import scan

UNSHARE = shutil.which("unshare")
WAIT_SECONDS = 60  # an upper bound for the server to start, never a measured time
WHAT_HAPPENED = "He deleted the body-worn footage before the complaint was logged."


def _mount_namespaces_work() -> bool:
    if UNSHARE is None or os.geteuid() != 0:
        return False
    probe = subprocess.run([UNSHARE, "-m", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not _mount_namespaces_work(), reason="needs root and `unshare -m` (a private mount namespace)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sandboxed(writable: Path | list[Path], command: list[str]) -> list[str]:
    """`command` with the whole file system read-only except `writable`, and a private empty /tmp."""
    binds = "".join(
        f"mount --bind {d} {d}; mount -o remount,bind,rw {d}; "
        for d in (shlex.quote(str(p)) for p in (writable if isinstance(writable, list) else [writable]))
    )
    script = (
        "set -e; mount --make-rprivate /; "
        "mount --bind / /; mount -o remount,bind,ro /; "
        f"{binds}"
        "mount -t tmpfs -o mode=1777 tmpfs /tmp; "
        f"exec {shlex.join(command)}"
    )
    return [str(UNSHARE), "-m", "sh", "-c", script]


@contextmanager
def serving(data: Path, log: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable,
        str(ROOT / "run.py"),
        "serve",
        "--no-tor",
        "--data-dir",
        str(data),
        "--reporter-port",
        str(port),
        "--investigator-port",
        str(free_port()),
    ]
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": "/nonexistent",
        "TIPDROP_KDF": "1,8192,1",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            sandboxed(data, command), env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=WAIT_SECONDS)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited: {log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"serve did not listen within {WAIT_SECONDS} s: {log.read_text()}")


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A folder outside /tmp (the sandbox's /tmp is a fresh tmpfs)."""
    (ROOT / "artifacts").mkdir(exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="read-only-system-", dir=ROOT / "artifacts"))
    try:
        yield base
    finally:
        shutil.rmtree(base)


async def test_serve_works_when_only_the_data_directory_is_writable(outside_tmp: Path) -> None:
    settings = settings_at(outside_tmp / "data")
    await init_test_data_dir(settings)
    probe = outside_tmp / "written-from-outside"
    denied = subprocess.run(
        sandboxed(settings.data_dir, ["touch", str(probe)]), capture_output=True, text=True
    )
    assert denied.returncode != 0 and "Read-only file system" in denied.stderr and not probe.exists()

    port, log = free_port(), outside_tmp / "serve.log"
    with serving(settings.data_dir, log, port) as proc:
        wait_listening(port, proc, log)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            reporter = Reporter(http, f"http://127.0.0.1:{port}")
            receipt = await reporter.submit_ok(
                [("footage-note.txt", b"kept only as ciphertext " * 500)], what_happened=WHAT_HAPPENED
            )
            page = await reporter.open_thread(receipt)
            assert "footage-note.txt" not in page  # the reporter's own files are not shown back
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=WAIT_SECONDS) == 0, log.read_text()

    output = log.read_text()
    assert "Read-only file system" not in output and "Traceback" not in output, output
    assert len([p for p in settings.files_dir.iterdir() if p.is_file()]) == 1
    assert scan([settings.data_dir, outside_tmp], [WHAT_HAPPENED, receipt, "kept only as ciphertext"]) == []


async def test_backup_works_when_only_the_data_and_backup_folders_are_writable(outside_tmp: Path) -> None:
    """As tipdrop-backup.service runs it: ReadWritePaths = the data directory and the backups."""
    settings = settings_at(outside_tmp / "data")
    await init_test_data_dir(settings)
    backups = outside_tmp / "backups"
    backups.mkdir()
    command = [sys.executable, str(ROOT / "run.py"), "backup", "--data-dir", str(settings.data_dir)]
    done = subprocess.run(
        sandboxed([settings.data_dir, backups], [*command, "--to", str(backups), "--keep", "2"]),
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=WAIT_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    assert len(list(backups.glob("tipdrop-*"))) == 1
    assert (settings.data_dir / "backup-state.json").exists()
