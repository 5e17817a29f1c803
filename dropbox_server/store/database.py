"""The SQLite database: hardened connection settings, migrations, and transactions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from dropbox_server import unit_names
from dropbox_server.store.errors import StorageFull, is_no_space

log = logging.getLogger(__name__)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 10_000
# The audit chain's key seed: a file beside the database, never inside it (see audit.py).
AUDIT_KEY_NAME = "audit.key"
AUDIT_SEED_BYTES = 32
# A checkpoint waits this long for readers, not the full busy timeout (see Database.checkpoint).
CHECKPOINT_WAIT_MS = 1_000

# Security: secure_delete overwrites deleted content; trusted_schema=OFF stops schema-borne
# functions; WAL with synchronous=FULL makes a commit durable before we acknowledge it.
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA secure_delete=ON",
    "PRAGMA trusted_schema=OFF",
    "PRAGMA temp_store=MEMORY",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


class Database:
    """One writer connection (serialised by a lock) and one reader that sees only commits."""

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        audit_seed: bytes | None = None,
    ):
        self.path = path
        # The audit chain's key seed, from the file beside the database; None before it exists.
        self.audit_seed = audit_seed
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        # One read at a time on the reader: SQLite keeps a connection's read snapshot while any
        # of its statements is open, so reads interleaved by concurrent requests could keep
        # one snapshot alive indefinitely and miss what other requests have just committed.
        self._read_lock = asyncio.Lock()
        # A deletion's checkpoint that a reader held up: retried after every later write.
        self._scrub_owed = False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT on the writer; rolls back on any exception.

        A failed COMMIT is rolled back too (SQLite leaves the transaction open after some
        errors, and rolls it back itself after others). A full disk raises StorageFull.
        """
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                try:
                    yield self._writer
                    await self._writer.execute("COMMIT")
                except BaseException:
                    await self._rollback()
                    raise
                if self._scrub_owed:
                    await self._retry_scrub()
            except (sqlite3.Error, OSError) as exc:
                if is_no_space(exc):
                    raise StorageFull from exc
                raise

    async def use_audit_seed(self, seed: bytes) -> None:
        """Start keying audit appends with `seed` (the key file was just created)."""
        async with self._write_lock:
            await set_writer_audit_seed(self._writer, seed)
        self.audit_seed = seed

    async def _rollback(self) -> None:
        # Fails harmlessly when SQLite has already rolled back on its own (e.g. SQLITE_FULL).
        with contextlib.suppress(sqlite3.OperationalError):
            await self._writer.execute("ROLLBACK")

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """Run a read on the reader connection and return the first row."""
        async with self._read_lock, self._reader.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Run a read on the reader connection and return every row."""
        async with self._read_lock, self._reader.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def _truncate_wal(self, wait_ms: int) -> bool:
        """PRAGMA wal_checkpoint(TRUNCATE) on the writer (write lock held); True if it finished."""
        await self._writer.execute(f"PRAGMA busy_timeout={wait_ms}")
        try:
            async with self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                row = await cur.fetchone()
        finally:
            await self._writer.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # (busy, frames in the WAL, frames checkpointed): TRUNCATE finished only if not busy
        # and the WAL is now empty.
        return row is not None and int(row[0]) == 0 and int(row[1]) in (0, -1)

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database file and truncate the WAL to nothing.

        Security: after a deletion, old page images (the deleted content) still sit in the
        WAL until it is overwritten; truncating it removes them. Returns False when a reader
        kept the checkpoint from finishing; use scrub_wal after a deletion, which retries.
        It waits for readers only briefly: a replicator (Litestream) keeps a read snapshot
        open all the time, and waiting the full busy timeout would hold every write (a
        reporter's submission) for 10 s and fail all the same.
        """
        async with self._write_lock:
            return await self._truncate_wal(CHECKPOINT_WAIT_MS)

    async def scrub_wal(self) -> bool:
        """After a deletion or an overwrite: a checkpoint that really happened, or one owed.

        Security: when a reader (a replicator's snapshot, an open backup) keeps the WAL from
        being truncated, the deleted ciphertext stays in it. That is said in one log line (no
        content) and the checkpoint is retried, without waiting, after every later write
        until it finishes; `scrub_owed` tells status and tests. Returns True when done now.
        """
        done = await self.checkpoint()
        if not done:
            if not self._scrub_owed:
                log.warning(
                    "WAL checkpoint after a deletion was held up by a reader; retrying after later writes"
                )
            self._scrub_owed = True
        return done

    @property
    def scrub_owed(self) -> bool:
        """Whether a deletion's checkpoint is still owed (a reader held it up)."""
        return self._scrub_owed

    async def _retry_scrub(self) -> None:
        # Called with the write lock held, after a commit. No waiting: if the reader is still
        # there the write must not stall; the next write tries again.
        try:
            done = await self._truncate_wal(0)
        except sqlite3.Error:
            return
        if done:
            self._scrub_owed = False
            log.info("owed WAL checkpoint after a deletion is done")

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def close(self) -> None:
        await self._reader.close()
        await self._writer.close()


async def _connect(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    for pragma in _PRAGMAS:
        await conn.execute(pragma)
    return conn


def migrations() -> list[tuple[int, str, str]]:
    """Every migration shipped with the package as (version, name, sql), in order."""
    found = []
    folder = resources.files("dropbox_server.store").joinpath("migrations")
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort()
    if [v for v, _, _ in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("migration numbers must run 0001, 0002, … without gaps")
    return found


async def _migrate(conn: aiosqlite.Connection, up_to: int | None) -> None:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    current = int(row[0]) if row else 0
    applied = False
    # Migration 0021 fills units.name_key: the look-alike rule is Python (unit_names), not SQL.
    await conn.create_function("unit_name_key", 1, unit_names.name_key, deterministic=True)
    for version, _name, sql in migrations():
        if version <= current or (up_to is not None and version > up_to):
            continue
        # SQLite's way to rebuild a table (to change a CHECK or a key): foreign keys off while
        # the old table is dropped, so no ON DELETE action fires, then every reference checked
        # before the commit. executescript commits first; the version bump is inside the
        # script's transaction.
        await conn.execute("PRAGMA foreign_keys=OFF")
        try:
            await conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version={version};")
            async with conn.execute("PRAGMA foreign_key_check") as cur:
                broken = list(await cur.fetchall())
            if broken:
                raise RuntimeError(f"migration {version} would break {len(broken)} foreign keys")
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        finally:
            await conn.execute("PRAGMA foreign_keys=ON")
        applied = True
    if applied and current > 0:
        # Security: pages as they were before a migration (e.g. the counters 0006 replaces)
        # would otherwise linger in the WAL until overwritten.
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def open_database(path: Path, *, migrate_up_to: int | None = None) -> Database:
    """Open (creating if needed) the database at `path` and apply pending migrations."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    writer = await _connect(path)
    if created:
        os.chmod(path, 0o600)
    await _migrate(writer, migrate_up_to)
    seed = read_audit_seed(path.parent / AUDIT_KEY_NAME)
    await set_writer_audit_seed(writer, seed)
    reader = await _connect(path)
    await reader.execute("PRAGMA query_only=ON")
    return Database(path, writer, reader, seed)


class AuditKeyError(Exception):
    """The audit key file beside the database is unsafe or damaged."""


def read_audit_seed(path: Path) -> bytes | None:
    """The audit chain's key seed, or None when the file does not exist (a chain not yet keyed).

    Security: refuses a file other users can read, or one of the wrong length, rather than
    carrying on with an unkeyed chain.
    """
    try:
        mode = path.stat().st_mode & 0o777
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if mode & 0o077:
        raise AuditKeyError(f"{path} is readable by other users; run `chmod 600 {path}`")
    if len(data) != AUDIT_SEED_BYTES:
        raise AuditKeyError(f"{path} is damaged (expected {AUDIT_SEED_BYTES} bytes)")
    return data


async def set_writer_audit_seed(writer: aiosqlite.Connection, seed: bytes | None) -> None:
    """Keep the seed where audit appends find it: a TEMP table of the writer (memory only).

    Security: temp_store=MEMORY, so the seed is never written to any file by SQLite.
    """
    await writer.execute("CREATE TEMP TABLE IF NOT EXISTS audit_seed (seed BLOB NOT NULL)")
    await writer.execute("DELETE FROM temp.audit_seed")
    if seed is not None:
        await writer.execute("INSERT INTO temp.audit_seed (seed) VALUES (?)", (seed,))


def backup_file(
    source: Path, target: Path, progress: Callable[[int, int], None] | None = None, *, pages: int = 256
) -> None:
    """Copy a live database consistently with SQLite's online backup API (blocking; run in a thread).

    The copy is taken inside one read transaction on the source: in WAL mode that is a fixed
    snapshot which the service's writer does not disturb, so the copy is consistent and the
    backup never restarts (an online backup without it starts over after every write, and
    may never finish on a busy service). `progress(done, total)` is called in pages.
    """
    if target.exists():
        raise FileExistsError(target)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)

    def report(_status: int, remaining: int, total: int) -> None:
        if progress:
            progress(total - remaining, total)

    with (
        contextlib.closing(sqlite3.connect(source, isolation_level=None)) as live,
        contextlib.closing(sqlite3.connect(target, isolation_level=None)) as copy,
    ):
        live.execute("PRAGMA query_only=ON")
        live.execute("BEGIN")
        live.execute("SELECT count(*) FROM sqlite_schema").fetchone()  # the snapshot starts here
        try:
            live.backup(copy, pages=pages, progress=report, sleep=0)
        finally:
            live.execute("COMMIT")
        copy.execute("PRAGMA journal_mode=DELETE")
