"""TOTP checks on their own: the drift window, replay refusal and what a typed code may look like."""

from __future__ import annotations

import pytest

from dropbox_server import totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_015.0  # in the middle of a 30-second step
HERE = int(NOW // 30)


def code(offset: int) -> str:
    return totp.code_at_step(SECRET, HERE + offset)


def test_rfc_6238_parameters() -> None:
    """Authenticator apps assume 30-second steps and 6 digits; the URI must not say otherwise."""
    assert (totp.STEP_SECONDS, totp.DIGITS, totp.DRIFT_STEPS) == (30, 6, 1)
    assert totp.current_step(NOW) == HERE and totp.current_step(HERE * 30.0) == HERE
    uri = totp.provisioning_uri(SECRET, "alice")
    assert uri.startswith("otpauth://totp/") and "issuer=Tip%20drop" in uri
    assert "digits" not in uri or "digits=6" in uri


def test_known_code() -> None:
    """RFC 6238 code of this secret at a fixed step (HMAC-SHA1, 6 digits)."""
    import pyotp

    assert totp.code_at_step(SECRET, HERE) == pyotp.TOTP(SECRET).at(HERE * 30)
    assert len(code(0)) == 6 and code(0).isdigit()


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_one_step_either_side_is_accepted(offset: int) -> None:
    assert totp.accept(SECRET, code(offset), NOW, None) == HERE + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_codes_further_away_are_refused(offset: int) -> None:
    if code(offset) not in {code(-1), code(0), code(1)}:
        assert totp.accept(SECRET, code(offset), NOW, None) is None


def test_a_code_is_accepted_once() -> None:
    assert totp.accept(SECRET, code(0), NOW, HERE) is None, "the same step again is a replay"
    assert totp.accept(SECRET, code(0), NOW, HERE + 1) is None, "an older step than the last is refused"
    assert totp.accept(SECRET, code(0), NOW, HERE - 1) == HERE
    assert totp.accept(SECRET, code(1), NOW, HERE) == HERE + 1


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "", "12 34 5", "１２３４５６"])
def test_malformed_codes_are_refused(typed: str) -> None:
    assert totp.accept(SECRET, typed, NOW, None) is None


def test_spaces_and_dashes_are_forgiven() -> None:
    right = code(0)
    assert totp.accept(SECRET, f" {right[:3]} {right[3:]} ", NOW, None) == HERE
    assert totp.accept(SECRET, f"{right[:3]}-{right[3:]}", NOW, None) == HERE
    assert totp.normalise_code("12 34-56\t") == "123456"


def test_wrong_code_is_refused() -> None:
    wrong = f"{(int(code(0)) + 1) % 1_000_000:06d}"
    if wrong not in {code(-1), code(1)}:
        assert totp.accept(SECRET, wrong, NOW, None) is None


def test_new_secrets_are_160_bits_and_fresh() -> None:
    secrets_seen = {totp.new_secret() for _ in range(20)}
    assert len(secrets_seen) == 20 and all(len(s) == 32 for s in secrets_seen)


def test_qr_codes_are_csp_safe() -> None:
    svg = totp.qr_svg(totp.provisioning_uri(SECRET, "alice"), "Scan me")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" ') and "<?xml" not in svg
    assert "<script" not in svg and "style=" not in svg
    assert "<title>Scan me</title>" in svg and 'class="qr"' in svg
    assert "<path " in svg and 'class="qrline"' not in svg


def test_qr_code_size_pins_error_level_and_scale() -> None:
    """Error level M gives a version 8 symbol (49 modules + 4 quiet each side) at 5 px a module."""
    svg = totp.qr_svg(totp.provisioning_uri(SECRET, "alice"), "t")
    assert 'width="285" height="285"' in svg
    drawn = totp.qr_terminal(totp.provisioning_uri(SECRET, "alice"))
    lines = drawn.splitlines()
    assert len(lines) == 29 and len(lines[0]) == 57, "compact: two modules a character cell, high"


def test_provisioning_uri_names_the_account_and_issuer() -> None:
    uri = totp.provisioning_uri(SECRET, "alice")
    assert uri == (
        "otpauth://totp/Tip%20drop%20%28investigators%29:alice?secret=" + SECRET
        + "&issuer=Tip%20drop%20%28investigators%29"
    )
