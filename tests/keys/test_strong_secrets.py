"""Strong secrets: the key-wrapping cost's defaults, the cap on crafted costs, costs raised at
sign-in, and staff passwords checked with zxcvbn. No test here hashes at 256 MiB."""

from __future__ import annotations

import time

import pyotp
import pytest

from dropbox_server import envelope, passwords
from dropbox_server.config import WRAP_KDF, Settings
from dropbox_server.custody import keyring, staff_auth
from dropbox_server.store import staff as staff_store
from dropbox_server.web.appkeys import Services
from receipt_codes import KdfParams
from tests.conftest import CHEAP_KDF, enrol_member


def test_the_default_wrapping_cost_is_at_least_256_mib_and_three_passes(tmp_path: object) -> None:
    assert WRAP_KDF.memory_kib >= 256 * 1024 and WRAP_KDF.time_cost >= 3
    assert Settings.for_data_dir("/nonexistent").password_kdf == WRAP_KDF


def test_a_crafted_cost_beyond_the_cap_is_refused_before_any_hashing() -> None:
    blob = bytearray(envelope.wrap_with_password("pw", b"k" * 32, CHEAP_KDF, b"tipdrop:v1:test"))
    blob[2:6] = (4 * 1024 * 1024).to_bytes(4, "big")  # 4 GiB
    with pytest.raises(envelope.EnvelopeError, match="beyond what this service uses"):
        envelope.unwrap_with_password("pw", bytes(blob), b"tipdrop:v1:test")
    assert envelope.wrap_cost(bytes(blob)).memory_kib == 4 * 1024 * 1024


async def test_an_older_cheaper_wrap_still_opens_and_is_raised_at_sign_in(services: Services) -> None:
    """The cost travels with each wrapped key: a key made before the costs went up still opens
    with its own recorded cost, and signing in re-wraps it at the current cost."""
    legacy = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
    current = KdfParams(time_cost=2, memory_kib=16 * 1024, parallelism=1)
    done = await enrol_member(
        services.db, username="alice", unit_id="kent-police", role="investigator",
        password="pw-alice-long", kdf=legacy,
    )
    row = await staff_store.get_staff_by_username(services.db, "alice")
    assert row is not None and envelope.wrap_cost(row.wrapped_private_key) == legacy
    decoy = staff_auth.make_decoy(CHEAP_KDF)
    code = pyotp.TOTP(done.totp_secret).now()
    result = await staff_auth.sign_in(
        services.db, services.staff_kdf, decoy, ("alice", "pw-alice-long", code), time.time(), "2026-01-01",
        raise_to=current,
    )
    assert result.unlocked is not None
    after = await staff_store.get_staff_by_username(services.db, "alice")
    assert after is not None and envelope.wrap_cost(after.wrapped_private_key) == current
    assert keyring.unwrap_staff_key(after, "pw-alice-long") == result.unlocked.private_key
    assert after.public_key == row.public_key


def test_zxcvbn_refuses_guessable_passwords_and_accepts_a_generated_passphrase() -> None:
    assert passwords.weakness("Password1!") is not None
    assert passwords.weakness("alice1990alice", ("alice",)) is not None
    assert passwords.weakness("x" * 2000) is not None
    generated = passwords.generated_passphrase()
    assert len(generated.split("-")) == passwords.PASSPHRASE_WORDS
    assert passwords.weakness(generated) is None
    assert generated != passwords.generated_passphrase()
