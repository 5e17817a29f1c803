"""Creating a new data directory: pepper, database, custodian key and every unit."""

from __future__ import annotations

from dataclasses import dataclass

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import custodian, keyring
from dropbox_server.custody.desk import set_routing
from dropbox_server.datadir import (
    THROWAWAY_NAME,
    DataDirError,
    create_audit_key,
    create_pepper,
    create_private_dir,
    mark_if_throwaway,
    write_receipt_kdf,
)
from dropbox_server.forces import FORCES, HUB_ID, HUB_NAME
from dropbox_server.store import UnitRow, open_database
from dropbox_server.store.deployment import DESK, ROUTINGS


@dataclass(frozen=True, repr=False)
class Initialised:
    """What `init` made: how many units, and the custodian shares to print once each."""

    units: int
    shares: list[custodian.IssuedShare]


async def init_data_dir(settings: Settings, spec: custodian.ShareSpec, *, routing: str = DESK) -> Initialised:
    """Create the data directory with a unit (and key pair) for every force and the hub,
    and with `desk` routing (the default) the independent desk too.

    Refuses a directory that already holds a database or pepper, so nothing is overwritten
    (and so the demo/test marker, datadir.mark_if_throwaway, is only ever set on a new one).
    Security: the custodian private key is split into `spec`'s shares and never stored.
    """
    if routing not in ROUTINGS:
        raise DataDirError(f"routing is one of {', '.join(ROUTINGS)}")
    made = (settings.database_path, settings.pepper_path, settings.data_dir / THROWAWAY_NAME)
    if any(path.exists() for path in made):
        raise DataDirError(f"{settings.data_dir} is already initialised; refusing to overwrite it")
    create_private_dir(settings.data_dir)
    create_private_dir(settings.files_dir)
    create_pepper(settings.pepper_path)
    mark_if_throwaway(settings)
    kdf = settings.receipt_kdf
    write_receipt_kdf(settings.receipt_kdf_path, kdf.time_cost, kdf.memory_kib, kdf.parallelism)
    # Before the database opens, so the audit chain is keyed from its first entry.
    create_audit_key(settings.audit_key_path)
    db = await open_database(settings.database_path)
    try:
        day = today()
        shares = await custodian.create(db, spec)
        await keyring.create_unit_ring(db, UnitRow(HUB_ID, HUB_NAME, "hub"), day)
        for force in FORCES:
            await keyring.create_unit_ring(db, UnitRow(force.unit_id, force.unit_name, "force"), day)
        desk_created = await set_routing(db, routing, day, record=False)
    finally:
        await db.close()
    return Initialised(len(FORCES) + 1 + int(desk_created), shares)
