"""Demo staff accounts for `run.py demo`: one investigator per unit, a supervisor, a call handler."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import keyring, staff_auth
from dropbox_server.datadir import write_new_secret_file
from dropbox_server.forces import HUB_ID
from dropbox_server.store import open_database, units

SHOWN_UNITS = (HUB_ID, "metropolitan-police-service", "kent-police")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    unit_id: str
    role: str
    password: str
    totp_secret: str


async def create_demo_accounts(settings: Settings, custodian_passphrase: str) -> list[DemoAccount]:
    """Enrol the demo accounts with random passwords; returns them to be shown once."""
    db = await open_database(settings.database_path)
    try:
        custodian = await keyring.unlock_custodian(db, custodian_passphrase)
        wanted = [(f"demo-{u.id}", u.id, "investigator") for u in await units.list_units(db)]
        wanted += [
            ("demo-supervisor", "kent-police", "supervisor"),
            ("demo-call-handler", HUB_ID, "call_handler"),
        ]
        accounts = []
        for username, unit_id, role in wanted:
            password = secrets.token_urlsafe(12)
            enrolment = await staff_auth.enrol_staff(
                db,
                username=username,
                unit_id=unit_id,
                role=role,
                password=password,
                custodian_private=custodian,
                kdf=settings.password_kdf,
                day=today(),
            )
            accounts.append(DemoAccount(username, unit_id, role, password, enrolment.totp_secret))
        return accounts
    finally:
        await db.close()


def describe_accounts(accounts: list[DemoAccount], path: Path) -> str:
    """Write every account to a 0600 file and return a short summary for the terminal."""
    lines = [
        f"{a.username}\t{a.role}\t{a.unit_id}\tpassword {a.password}\tTOTP {a.totp_secret}" for a in accounts
    ]
    write_new_secret_file(path, ("\n".join(lines) + "\n").encode("utf-8"))
    shown = [a for a in accounts if a.unit_id in SHOWN_UNITS or a.role != "investigator"]
    summary = [f"Demo accounts (all {len(accounts)} in {path}, mode 0600):"]
    summary += [
        f"  {a.username:40} {a.role:13} password {a.password}  TOTP secret {a.totp_secret}" for a in shown
    ]
    return "\n".join(summary)
