"""Long-lived collaborators shared by both sites in one process: database, KDF pools, pepper.

Security: two argon2id pools. Receipts (anonymous, from the public onion) use one; staff
sign-ins and account changes use their own, so a flood of wrong receipts can fill the
receipt pool's queue but never delay a member of staff signing in.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dropbox_server.config import Settings
from dropbox_server.custody import certify
from dropbox_server.datadir import DataDirError, load_pepper, read_receipt_kdf, read_throwaway
from dropbox_server.files.disk import FileDir
from dropbox_server.kdf import KdfRunner, MeasuredRate, ReceiptContext
from dropbox_server.store import files as file_store
from dropbox_server.store import open_database
from dropbox_server.web.appkeys import Services
from receipt_codes import derive_reporter_secrets, generate_receipt

log = logging.getLogger("tipdrop")


def audit_key_missing(settings: Settings) -> str:
    """What to do when `audit.key` is not beside the database (the server will not start)."""
    return (
        f"{settings.audit_key_path} is missing, so the audit log and every key certificate cannot be "
        "checked; the server will not make a new key by itself. If it was lost or deleted, restore it "
        "with `python run.py keys restore --in KEY-BACKUP --database COPY` (the key backup needs K "
        "custodian shares). Only for a data directory made before the audit key existed, run "
        "`python run.py audit rekey` once"
    )


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Open the database and start the KDF pool for an initialised data directory."""
    if not settings.database_path.exists():
        raise DataDirError(
            f"no database in {settings.data_dir}: run `python run.py init --data-dir "
            f"{settings.data_dir}` first"
        )
    pepper = load_pepper(settings.pepper_path)
    recorded = read_receipt_kdf(settings.receipt_kdf_path)
    kdf = settings.receipt_kdf
    if recorded != (kdf.time_cost, kdf.memory_kib, kdf.parallelism):
        raise DataDirError(
            f"receipt argon2id costs {kdf} differ from those recorded in {settings.receipt_kdf_path}; "
            "receipts would not open"
        )
    throwaway = read_throwaway(settings.data_dir)
    if throwaway is not None:
        # Loud at every start: a real service must never run on a demo or test directory.
        log.warning("THROWAWAY %s data directory: staff keys may be wrapped with cheap argon2id; "
                    "never keep real reports in it", throwaway.purpose)
    db = await open_database(settings.database_path)
    try:
        if db.audit_seed is None:
            # Security (S5): never make a new audit key at a start. A deleted key plus a
            # database rewritten without it would otherwise be re-keyed and called intact.
            raise DataDirError(audit_key_missing(settings))
        # An upgraded database gets its key certificates once, here (the trust point).
        await certify.certify_upgrade(db)
        await certify.certify_units_upgrade(db)  # once, after migration 0021 (insider finding U2)
    except BaseException:
        await db.close()
        raise
    files = FileDir(settings.files_dir)
    # Before anything is served: uploads cut short by a crash or stop, and files whose
    # submission never committed, are removed (invariant 6: no orphans survive a start).
    try:
        files.sweep(await file_store.referenced_file_ids(db))
    except BaseException:
        await db.close()
        raise
    runner = KdfRunner(settings.kdf_workers, settings.throttle.max_waiting_kdf)
    staff_runner = KdfRunner(settings.staff_kdf_workers, settings.throttle.max_waiting_staff_kdf)
    # A throwaway receipt: the measurement costs exactly what a real check costs.
    sample = functools.partial(derive_reporter_secrets, generate_receipt(), pepper, settings.receipt_kdf)
    try:
        yield Services(
            db=db,
            kdf=runner,
            receipts=ReceiptContext(pepper, settings.receipt_kdf, runner, settings.receipt_words),
            files=files,
            staff_kdf=staff_runner,
            receipt_rate=MeasuredRate(runner, settings.kdf_workers, sample),
        )
    finally:
        staff_runner.close()
        runner.close()
        await db.close()
