"""Architecture kept by test: crypto, Tor and SQL each live in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dropbox_server", "receipt_codes", "onion_config")
SQL = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b", re.I
)


def modules() -> list[Path]:
    return [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")] + [ROOT / "run.py"]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_only_the_envelope_and_receipt_codes_touch_nacl_and_argon2() -> None:
    # onion_keys.py turns tor's expanded ed25519 scalar into its public key with libsodium's
    # constant-time scalar multiplication: pyca/cryptography takes only a seed, which tor's
    # key files do not hold, and onion_config may not import dropbox_server.
    allowed = ("dropbox_server/envelope.py", "receipt_codes/", "onion_config/onion_keys.py")
    offenders = [
        rel(p) for p in modules() if imported(p) & {"nacl", "argon2"} and not rel(p).startswith(allowed)
    ]
    assert offenders == []


def test_only_onion_config_imports_stem() -> None:
    offenders = [
        rel(p) for p in modules() if "stem" in imported(p) and not rel(p).startswith("onion_config/")
    ]
    assert offenders == []


def test_only_the_store_holds_sql() -> None:
    offenders = []
    for path in modules():
        if rel(path).startswith("dropbox_server/store/"):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                offenders.append(f"{rel(path)}:{node.lineno}")
    assert offenders == []


def test_the_checks_would_catch_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import nacl.secret\nfrom stem import control\nq = 'SELECT id FROM reports'\n")
    assert imported(bad) >= {"nacl", "stem"}
    assert SQL.search("SELECT id FROM reports")


def test_no_grab_bag_modules() -> None:
    assert not [rel(p) for p in modules() if p.stem in ("utils", "helpers", "misc", "common")]
