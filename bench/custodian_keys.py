"""Custodian shares for the benches: `init` with a 2-of-3 split whose shares are kept in a file
beside (never inside) the data directory, so a kept data directory works on the next run."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from dropbox_server import custodian_shares, totp
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import custodian, enrolment, keyring, redemption
from dropbox_server.custody.provision import init_data_dir
from dropbox_server.kdf import KdfRunner
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


@dataclass(frozen=True)
class Enrolled:
    """A member enrolled by the real flow: their id and authenticator secret."""

    staff_id: int | None
    totp_secret: str


async def enrol(
    db: Database, data_dir: Path, username: str, unit: str, password: str, kdf: KdfParams,
    role: str = "investigator",
) -> Enrolled:
    """Enrol by the real flow: an enrolment code, the newcomer's redemption, then the typed
    fingerprint: with the custodian for a unit's first key holder, else by a member (whose
    unit keys are taken from the custodian, standing in for their session)."""
    private = await custodian_key(db, data_dir)
    invited = await enrolment.invite(
        db, username=username, unit_id=unit, role=role, requested_by="bench", day=today()
    )
    secret, now = totp.new_secret(), time.time()
    code = totp.code_at_step(secret, totp.current_step(now))
    runner = KdfRunner(1, 2)
    try:
        choice = redemption.Choice(password, password, secret, code)
        done = await redemption.redeem(db, runner, invited.code, choice, kdf, now=now, day=today())
    finally:
        runner.close()
    if done.first_key_holder:
        await enrolment.approve_first(db, private, username, done.fingerprint, today(), approved_by="bench")
    elif done.needs_approval:
        approver = (await key_store.members_with_unit_keys(db, unit))[0]
        keys = await keyring.unit_private_keys_from_custodian(db, unit, private)
        stand_in = keyring.UnlockedStaff(approver, b"", keys)
        await enrolment.approve(db, stand_in, username, done.fingerprint, today())
    row = await staff_store.get_staff_by_username(db, username)
    return Enrolled(row.id if row else None, secret)
