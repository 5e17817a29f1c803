"""Creating a new data directory: pepper, database, custodian key and every unit."""

from __future__ import annotations

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import keyring
from dropbox_server.datadir import (
    DataDirError,
    create_audit_key,
    create_pepper,
    create_private_dir,
    write_receipt_kdf,
)
from dropbox_server.forces import FORCES, HUB_ID, HUB_NAME
from dropbox_server.store import UnitRow, open_database


async def init_data_dir(settings: Settings, custodian_passphrase: str) -> int:
    """Create the data directory with a unit (and key pair) for every force and the hub.

    Refuses a directory that already holds a database or pepper, so nothing is overwritten.
    Returns the number of units created.
    """
    if settings.database_path.exists() or settings.pepper_path.exists():
        raise DataDirError(f"{settings.data_dir} is already initialised; refusing to overwrite it")
    if len(custodian_passphrase) < 12:
        raise DataDirError("the security staff passphrase must be at least 12 characters")
    create_private_dir(settings.data_dir)
    create_private_dir(settings.files_dir)
    create_pepper(settings.pepper_path)
    kdf = settings.receipt_kdf
    write_receipt_kdf(settings.receipt_kdf_path, kdf.time_cost, kdf.memory_kib, kdf.parallelism)
    # Before the database opens, so the audit chain is keyed from its first entry.
    create_audit_key(settings.audit_key_path)
    db = await open_database(settings.database_path)
    try:
        day = today()
        await keyring.create_custodian(db, custodian_passphrase, settings.password_kdf)
        await keyring.create_unit_ring(db, UnitRow(HUB_ID, HUB_NAME, "hub"), day)
        for force in FORCES:
            await keyring.create_unit_ring(db, UnitRow(force.unit_id, force.unit_name, "force"), day)
    finally:
        await db.close()
    return len(FORCES) + 1
