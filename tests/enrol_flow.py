"""The newcomer's side of enrolment for tests that drive `keys add-investigator` as a subprocess:
read the printed enrolment code, and redeem it through the real use case (as the staff site's
/enrol pages do), choosing the password and authenticator there."""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dropbox_server import totp
from dropbox_server.clock import today
from dropbox_server.custody import redemption
from dropbox_server.kdf import KdfRunner
from dropbox_server.store import open_database
from receipt_codes import KdfParams

CODE = re.compile(r"^\s+([A-Z2-7]{4}(?:-[A-Z2-7]{4}){5})$", re.MULTILINE)
CHEAP = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)


def enrolment_code(stdout: str) -> str:
    """The one enrolment code `keys add-investigator` printed."""
    found = CODE.findall(stdout)
    assert len(found) == 1, stdout
    return str(found[0])


async def redeem_code(data_dir: Path, code: str, password: str) -> tuple[redemption.Redeemed, str]:
    """Redeem as the newcomer: (the outcome with the key's fingerprint, the authenticator secret)."""
    db = await open_database(data_dir / "tipdrop.sqlite3")
    runner = KdfRunner(1, 2)
    try:
        secret = totp.new_secret()
        now = time.time()
        # The code of the step before (accepted within the drift): the redemption spends it, and
        # the current code stays free for the test's first sign-in.
        choice = redemption.Choice(password, password, secret, totp.code_at_step(secret, totp.current_step(now) - 1))
        done = await redemption.redeem(db, runner, code, choice, CHEAP, now=now, day=today())
        return done, secret
    finally:
        runner.close()
        await db.close()


def redeem_now(data_dir: Path, code: str, password: str) -> tuple[redemption.Redeemed, str]:
    """`redeem_code` from synchronous code or from inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, redeem_code(data_dir, code, password)).result()
