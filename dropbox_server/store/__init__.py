"""Storage: the only package that holds SQL. aiosqlite on one hardened SQLite file."""

from dropbox_server.store.database import Database, open_database
from dropbox_server.store.records import (
    GrantRow,
    ItemRow,
    NewItem,
    NewReport,
    ReportRow,
    StaffRow,
    UnitKeyRow,
    UnitRow,
)

__all__ = [
    "Database",
    "GrantRow",
    "ItemRow",
    "NewItem",
    "NewReport",
    "ReportRow",
    "StaffRow",
    "UnitKeyRow",
    "UnitRow",
    "open_database",
]
