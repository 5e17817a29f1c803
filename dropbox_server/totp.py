"""Time-based one-time codes (RFC 6238) for staff sign-in: secrets, enrolment QR codes, checks.

Security: a code is accepted at most once. The caller passes the last time-step accepted
for the account (kept in the database) and stores the step this module returns, so a
code seen over someone's shoulder cannot be replayed within its window, even after a restart.
"""

from __future__ import annotations

import hmac
import io
import re

import pyotp
import segno

ISSUER = "Tip drop (investigators)"
STEP_SECONDS = 30
DIGITS = 6
# One step either side forgives a phone clock that is a little fast or slow.
DRIFT_STEPS = 1
# ASCII digits only: `\d` also matches Arabic-Indic, fullwidth and other digits, which
# hmac.compare_digest cannot compare (it raised, and a 500 told a right password apart).
_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """A fresh random base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """The QR code of `uri` as inline SVG markup (no script, no style attribute: CSP-safe)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", xmldecl=False, svgns=True, title=title, scale=5, svgclass="qr", lineclass=None
    )
    return out.getvalue().decode("utf-8")


def qr_terminal(uri: str) -> str:
    """The QR code of `uri` drawn with block characters for a terminal."""
    out = io.StringIO()
    segno.make(uri, error="m").terminal(out=out, compact=True)
    return out.getvalue()


def normalise_code(typed: str) -> str:
    """The code as typed, without spaces or dashes that apps show for readability."""
    return re.sub(r"[\s-]", "", typed)


def current_step(now: float) -> int:
    return int(now // STEP_SECONDS)


def code_at_step(secret: str, step: int) -> str:
    """The code for one time-step (tests and the CLI use it to show what to expect)."""
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


def accept(secret: str, typed: str, now: float, last_step: int | None) -> int | None:
    """The time-step a typed code belongs to, if it is right and newer than `last_step`.

    Security: every candidate step is compared in constant time, and a step at or before
    the last accepted one is refused even when the code matches (replay).
    """
    code = normalise_code(typed)
    if not _CODE.fullmatch(code):
        return None
    here = current_step(now)
    matched = None
    for step in range(here - DRIFT_STEPS, here + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at_step(secret, step), code) and matched is None:
            matched = step
    if matched is None or (last_step is not None and matched <= last_step):
        return None
    return matched
