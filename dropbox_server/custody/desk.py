"""The desk unit and the routing switch, for `init` and security staff.

Creating the desk needs only the custodian's PUBLIC key (its first key is sealed to it, as
every unit's is). Switching the routing afterwards (`keys set-routing`) still needs the
custodian key itself: `direct` sends every new report, the reporter's own words, straight to
the force it names, so it must not be one person's quiet action. Today that is the security
staff passphrase; where the custodian exists only as K-of-N shares it takes K people.
Its members are enrolled afterwards like any unit's.
"""

from __future__ import annotations

from dropbox_server import audit, envelope
from dropbox_server.custody import keyring
from dropbox_server.forces import DESK_ID, DESK_NAME
from dropbox_server.store import Database, UnitRow, units
from dropbox_server.store import deployment as deployment_store
from dropbox_server.store import enrolments as enrolment_store
from dropbox_server.store.deployment import DESK, ROUTINGS


class RoutingError(Exception):
    """The routing cannot be changed as asked; the message says why."""


async def ensure_desk(db: Database, day: str, *, record: bool = True) -> bool:
    """Create the desk unit with its key ring if it does not exist; True when created."""
    existing = await units.get_unit(db, DESK_ID)
    if existing is not None:
        if existing.kind != "desk":
            raise RoutingError(f"a unit called {DESK_ID!r} exists and is not the desk")
        return False
    key_id = await keyring.create_unit_ring(db, UnitRow(DESK_ID, DESK_NAME, "desk"), day)
    if record:
        await audit.record(db, audit.pending("unit_created", detail=f"unit={DESK_ID} key={key_id}"))
    return True


async def set_routing(db: Database, routing: str, day: str, *, record: bool = True) -> bool:
    """Route new reports to the desk or directly; returns True when the desk was created.

    Reports already delivered stay where they are: only new reports follow the setting.
    `record=False` is for `init`, which audits none of the units it creates either.
    """
    if routing not in ROUTINGS:
        raise RoutingError(f"routing is one of {', '.join(ROUTINGS)}")
    created = await ensure_desk(db, day, record=record) if routing == DESK else False
    entry = audit.pending("routing_changed", detail=f"routing={routing}") if record else None
    await deployment_store.set_routing(db, routing, entry)
    return created


async def switch_routing(db: Database, routing: str, day: str, custodian_private: bytes) -> bool:
    """`keys set-routing`: change the routing of an existing data directory, audited.

    Security: needs the custodian private key (checked against the stored public key), the
    same authority as every other change of who can read what; `init` uses set_routing.
    """
    found = await enrolment_store.custodian_public_key(db)
    if found is None or not envelope.secret_equal(envelope.public_key_of(custodian_private), found):
        raise RoutingError("that is not the custodian key; nothing was changed")
    return await set_routing(db, routing, day)
