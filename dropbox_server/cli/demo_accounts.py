"""Demo staff accounts for `run.py demo`: one investigator per force unit, a supervisor, a
call handler, and with desk routing a desk analyst and a desk supervisor."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from dropbox_server import passwords, totp
from dropbox_server.cli.prompts import CliError
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import custodian, enrolment, keyring, redemption
from dropbox_server.custody.provision import init_data_dir
from dropbox_server.datadir import write_new_secret_file
from dropbox_server.forces import DESK_ID, HUB_ID
from dropbox_server.kdf import KdfRunner
from dropbox_server.store import Database, open_database, units
from dropbox_server.store import staff as staff_store

SHOWN_UNITS = (HUB_ID, DESK_ID, "metropolitan-police-service", "kent-police")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    unit_id: str
    role: str
    password: str
    totp_secret: str
    fingerprint: str = ""


async def create_demo_accounts(settings: Settings, custodian_private: bytes) -> list[DemoAccount]:
    """Enrol the demo accounts with random passwords; returns them to be shown once.

    The enrolments run together, their argon2id runs in a KDF pool of the server's size at a
    lower CPU priority: the demo's Tor network builds meanwhile, and its directory
    authorities miss their voting deadlines (10 s later each time) if argon2id starves them.
    Each unit's first investigator takes the keys from the custodian; the supervisor joins a
    unit that has one, so that investigator approves them, as a real second key holder needs.
    """
    db = await open_database(settings.database_path)
    runner = KdfRunner(settings.kdf_workers, settings.throttle.max_waiting_kdf, nice=19)
    try:
        custodian = custodian_private
        all_units = await units.list_units(db)
        wanted = [(f"demo-{u.id}", u.id, "investigator") for u in all_units if u.kind != "desk"]
        # Second key holders of a unit wait for a member's approval (custody/enrolment.py).
        second = [("demo-supervisor", "kent-police", "supervisor")]
        if any(u.kind == "desk" for u in all_units):
            # Desk routing: call handlers belong to the desk, and it needs two members to
            # approve a package (an analyst drafts, a supervisor approves); the analyst, its
            # first key holder, approves the supervisor.
            wanted += [
                ("demo-desk-analyst", DESK_ID, keyring.DESK_ANALYST),
                ("demo-call-handler", DESK_ID, "call_handler"),
            ]
            second.append(("demo-desk-supervisor", DESK_ID, keyring.DESK_SUPERVISOR))
        else:
            wanted += [("demo-call-handler", HUB_ID, "call_handler")]
        # Never more at once than the pool takes, so none is refused as busy.
        slots = asyncio.Semaphore(settings.kdf_workers + settings.throttle.max_waiting_kdf)

        async def enrol(username: str, unit_id: str, role: str) -> DemoAccount:
            # The demo plays security staff and the newcomer: a code, then its redemption.
            password = passwords.generated_passphrase()
            secret = totp.new_secret()
            async with slots:
                invited = await enrolment.invite(
                    db, username=username, unit_id=unit_id, role=role, requested_by="demo", day=today()
                )
                now = time.time()
                # The previous step's code (within the drift): redemption spends the code it
                # is given, and whoever signs in to the demo at once needs the current one free.
                code = totp.code_at_step(secret, totp.current_step(now) - 1)
                done = await redemption.redeem(
                    db, runner, invited.code, redemption.Choice(password, password, secret, code),
                    settings.password_kdf, now=now, day=today(),
                )
            if done.first_key_holder:
                await enrolment.approve_first(
                    db, custodian, username, done.fingerprint, today(), approved_by="demo"
                )
            return DemoAccount(username, unit_id, role, password, secret, done.fingerprint)

        accounts = list(await asyncio.gather(*(enrol(*w) for w in wanted)))
        for username, unit_id, role in second:
            waiting = await enrol(username, unit_id, role)
            approver = next(a for a in accounts if a.unit_id == unit_id and a.role != "call_handler")
            await _approve(db, runner, approver, waiting)
            accounts.append(waiting)
        return accounts
    finally:
        runner.close()
        await db.close()


async def _approve(db: Database, runner: KdfRunner, approver: DemoAccount, new: DemoAccount) -> None:
    """The demo's unit member approves the new key holder, typing the fingerprint it read out."""
    row = await staff_store.get_staff_by_username(db, approver.username)
    if row is None:
        raise RuntimeError(f"demo account {approver.username} was not enrolled")
    private = await runner.run(keyring.unwrap_staff_key, row, approver.password)
    unlocked = await keyring.unlock_staff(db, row, private)
    await enrolment.approve(db, unlocked, new.username, new.fingerprint, today())


async def prepare_demo_data(settings: Settings, accounts_file: Path) -> str:
    """A new demo data directory with demo staff (or the existing one); what to print.

    `settings` for a new one come from `settings_from_args(..., creates="demo")`: the directory
    is marked as a throwaway demo one and its accounts use config.DEMO_KDF.
    """
    if settings.database_path.exists():
        if not accounts_file.exists():
            # Written last: without it, a first start was interrupted half-way (staff missing).
            raise CliError(f"{settings.data_dir} was left half-made by an interrupted first start; "
                           f"delete {accounts_file.parent} and start the demo again")
        return f"Reusing {settings.data_dir}; demo accounts are in {accounts_file}"
    began = time.monotonic()
    done = await init_data_dir(settings, custodian.ShareSpec(threshold=2, count=3))
    made = time.monotonic()
    db = await open_database(settings.database_path)
    try:
        private = await custodian.unlock(db, [s.words for s in done.shares[:2]])
    finally:
        await db.close()
    accounts = await create_demo_accounts(settings, private)
    enrolled = time.monotonic()
    shares = "\n".join(f"  {s.label}: {s.words}" for s in done.shares)
    kdf = settings.password_kdf
    return (f"Demo data directory {settings.data_dir}; demo custodian shares (any 2 of 3):\n{shares}\n"
            + describe_accounts(accounts, accounts_file)
            + f"\nDemo data made in {made - began:.1f} s, {len(accounts)} staff accounts enrolled in "
            f"{enrolled - made:.1f} s (demo argon2id t={kdf.time_cost}, {kdf.memory_kib} KiB).")


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
