"""Secrets are compared only in constant time: a static check, since no test can time `==`.

A mutation (or an edit) that turns `envelope.secret_equal` or a caller of it into a plain
`==` changes no result, so only reading the code can catch it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dropbox_server", "receipt_codes")
SECRETISH = re.compile(
    r"mac|digest|hash|secret|token|lookup|private|public_key|password|passphrase|checksum|receipt"
    r"|pepper|signature|nonce|^key$|_key$|^code$",
    re.I,
)
# Comparisons of names that look secret but are not, each with its reason.
NOT_SECRET = {
    "key == c.key": "a statistics table's column key, published anyway",
    "code == 'csrf'": "the desk's problem code naming which check failed, not a secret",
    "unit_names.name_key(shown) == wanted": "what a unit's public name looks like, folded",
    "unit.name_key != unit_names.name_key(unit.name)": "what a unit's public name looks like, folded",
}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    if isinstance(node, ast.Call) and _name(node.func) != "len":  # lengths are not secret
        return _name(node.func)
    return ""


def plain_secret_comparisons(source: str) -> list[str]:
    """Every `==`/`!=` in `source` with an operand whose name looks like a secret."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            operands = [node.left, *node.comparators]
            if any(SECRETISH.search(_name(o)) for o in operands if _name(o) and not _name(o).isupper()):
                found.append(ast.unparse(node))
    return found


def test_secret_equal_is_constant_time() -> None:
    tree = ast.parse((ROOT / "dropbox_server" / "envelope.py").read_text("utf-8"))
    [func] = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "secret_equal"]
    calls = [n for n in ast.walk(func) if isinstance(n, ast.Call)]
    assert [ast.unparse(c.func) for c in calls] == ["secrets.compare_digest"]
    assert not [n for n in ast.walk(func) if isinstance(n, ast.Compare)]
    returned = [n for n in ast.walk(func) if isinstance(n, ast.Return)]
    assert len(returned) == 1 and returned[0].value is calls[0]


def test_no_secret_is_compared_with_plain_equality() -> None:
    offenders = []
    for path in [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]:
        for found in plain_secret_comparisons(path.read_text("utf-8")):
            if found not in NOT_SECRET:
                offenders.append(f"{path.relative_to(ROOT)}: {found}")
    assert offenders == [], "compare secrets with envelope.secret_equal or hmac.compare_digest"


def test_csrf_and_totp_compare_in_constant_time() -> None:
    for module in ("csrf.py", "totp.py"):
        source = (ROOT / "dropbox_server" / module).read_text("utf-8")
        assert "hmac.compare_digest(" in source, module


def test_the_check_would_catch_an_offender() -> None:
    planted = (
        "def f(pair, report, mac, expected, row, previous, typed):\n"
        "    a = pair.public == report.reporter_public_key\n"
        "    b = mac != expected\n"
        "    c = row.hash == previous\n"
        "    d = len(mac) == 32\n"
    )
    assert plain_secret_comparisons(planted) == [
        "pair.public == report.reporter_public_key",
        "mac != expected",
        "row.hash == previous",
    ]
    assert set(NOT_SECRET) <= {
        c for p in PACKAGES for path in (ROOT / p).rglob("*.py") for c in plain_secret_comparisons(path.read_text())
    }, "an allowance no longer used should be removed"
