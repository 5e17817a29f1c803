"""Custodian shares for the benches: `init` with a 2-of-3 split whose shares are kept in a file
beside (never inside) the data directory, so a kept data directory works on the next run."""

from __future__ import annotations

from pathlib import Path

from dropbox_server import custodian_shares
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import custodian, enrolment, keyring, staff_auth
from dropbox_server.custody.provision import init_data_dir
from dropbox_server.store import Database
from dropbox_server.store import keys as key_store
from dropbox_server.store import staff as staff_store
from receipt_codes import KdfParams

SPEC = custodian.ShareSpec(threshold=2, count=3)


def shares_file(data_dir: Path) -> Path:
    return data_dir.parent / f"{data_dir.name}.custodian-shares"


async def init_with_shares(settings: Settings, routing: str = "desk") -> None:
    done = await init_data_dir(settings, SPEC, routing=routing)
    shares_file(settings.data_dir).write_text("\n".join(s.words for s in done.shares) + "\n")


def save_shares(data_dir: Path, init_output: str) -> None:
    """Keep the shares `run.py init` printed (the line after each `--- label ---`)."""
    lines = init_output.splitlines()
    shares = [lines[i + 1] for i, line in enumerate(lines) if line.startswith("--- ")]
    shares_file(data_dir).write_text("\n".join(shares) + "\n")


async def custodian_key(db: Database, data_dir: Path) -> bytes:
    shares = shares_file(data_dir).read_text().splitlines()
    return await custodian.unlock(db, shares[: custodian_shares.read_share(shares[0]).threshold])


async def enrol(
    db: Database, data_dir: Path, username: str, unit: str, password: str, kdf: KdfParams,
    role: str = "investigator",
) -> staff_auth.Enrolment:
    """Enrol a key holder; a second one is approved with a member's unit keys (from the custodian)."""
    private = await custodian_key(db, data_dir)
    done = await staff_auth.enrol_staff(
        db, username=username, unit_id=unit, role=role, password=password,
        custodian_private=private, kdf=kdf, day=today(),
    )
    if done.pending:
        approver = (await key_store.members_with_unit_keys(db, unit))[0]
        keys = await keyring.unit_private_keys_from_custodian(db, unit, private)
        await enrolment.approve(db, keyring.UnlockedStaff(approver, b"", keys), username, today())
        row = await staff_store.get_staff_by_username(db, username)
        done = staff_auth.Enrolment(row.id if row else None, done.totp_secret, done.fingerprint)
    return done
