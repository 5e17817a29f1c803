"""SQL for the deployment's settings kept in the database: how reports are routed."""

from __future__ import annotations

import aiosqlite

from dropbox_server.store.audit import PendingAudit, append_tx
from dropbox_server.store.database import Database

DESK = "desk"  # every new report goes to the independent desk (reports/routing.py says why)
DIRECT = "direct"  # new reports go straight to the named force's unit
ROUTINGS = (DESK, DIRECT)


async def routing(db: Database) -> str:
    """'desk' or 'direct' (a database from before routing existed reads 'direct')."""
    r = await db.fetch_one("SELECT routing FROM deployment WHERE id = 1")
    return str(r[0]) if r else DIRECT


async def set_routing_tx(tx: aiosqlite.Connection, routing: str) -> None:
    await tx.execute("UPDATE deployment SET routing = ? WHERE id = 1", (routing,))


async def set_routing(db: Database, routing: str, audit: PendingAudit | None = None) -> None:
    """Change the routing, with its audit entry in the same transaction."""
    async with db.transaction() as tx:
        await set_routing_tx(tx, routing)
        if audit is not None:
            await append_tx(tx, audit)
