"""Architecture kept by test: crypto, Tor and SQL each live in one place, and the layers of the
project's map (LAYERS, top to bottom; README "Map of the code") only import downwards."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
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


# The project's map, top (wiring) to bottom (pure). A module may import its own layer or any
# layer below it, never one above. Every module must be on the map.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("run",),
    ("dropbox_server.cli",),
    ("dropbox_server.app", "dropbox_server.services"),
    ("dropbox_server.web",),
    ("dropbox_server.reports", "dropbox_server.health"),
    ("dropbox_server.custody", "dropbox_server.backups"),
    ("dropbox_server.files",),
    (
        "dropbox_server.audit",
        "dropbox_server.stats",
        "dropbox_server.sessions",
        "dropbox_server.csrf",
        "dropbox_server.throttle",
        "dropbox_server.totp",
        "dropbox_server.kdf",
        "dropbox_server.datadir",
        "dropbox_server.config",
        "dropbox_server.clock",
        "dropbox_server.conduct",
        "dropbox_server.support",
        "dropbox_server.forces",
        "dropbox_server.i18n",
        "dropbox_server.logs",
        "dropbox_server.passwords",
    ),
    ("dropbox_server.store",),
    ("dropbox_server.envelope", "dropbox_server.filecrypt", "dropbox_server.custodian_shares",
     "dropbox_server.unit_names"),
    ("onion_config", "receipt_codes"),
)
VIEWS = "dropbox_server.web"
# The one web module that may name store types: it declares what the apps hold.
VIEW_STORE_EXCEPTIONS = ("dropbox_server.web.appkeys",)
CRYPTO = ("dropbox_server.envelope", "dropbox_server.filecrypt", "dropbox_server.custodian_shares")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports (`from pkg import mod` counts as pkg.mod)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] in (*PACKAGES, "run")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in modules()}
    return {name: project_imports(path, set(paths)) for name, path in paths.items()}


def layer_of(module: str) -> int | None:
    for index, layer in enumerate(LAYERS):
        if any(module == top or module.startswith(top + ".") for top in layer):
            return index
    return None


def upward_imports(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports from a module to a layer above its own."""
    bad = []
    for module, targets in graph.items():
        here = layer_of(module)
        for target in targets:
            there = layer_of(target)
            if here is not None and there is not None and there < here:
                bad.append(f"{module} -> {target}")
    return sorted(bad)


def view_offences(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Views importing the store, or the crypto modules."""
    bad = []
    for module, targets in graph.items():
        if module != VIEWS and not module.startswith(VIEWS + "."):
            continue
        for target in targets:
            store = target.startswith("dropbox_server.store") and module not in VIEW_STORE_EXCEPTIONS
            if store or target.startswith(CRYPTO):
                bad.append(f"{module} -> {target}")
    return sorted(bad)


def files_offences(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """files/ (storage and streaming of ciphertext) importing use cases or the web."""
    return sorted(
        f"{m} -> {t}"
        for m, targets in graph.items()
        if m.startswith("dropbox_server.files")
        for t in targets
        if t.startswith(("dropbox_server.reports", VIEWS))
    )


def unit_of(module: str, packages: set[str]) -> str:
    """The package a module belongs to; a top-level module of dropbox_server is its own unit."""
    parent = module.rsplit(".", 1)[0]
    return module if module in packages or parent == "dropbox_server" or "." not in module else parent


def package_cycles(graph: Mapping[str, Iterable[str]], packages: set[str]) -> list[list[str]]:
    """Cycles between packages (and top-level modules), each as a path that comes back."""
    edges: dict[str, set[str]] = {}
    for module, targets in graph.items():
        src = unit_of(module, packages)
        for target in targets:
            dst = unit_of(target, packages)
            if dst != src:
                edges.setdefault(src, set()).add(dst)
    cycles: list[list[str]] = []
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycles.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for nxt in sorted(edges.get(node, ())):
            visit(nxt, [*path, node])
        done.add(node)

    for start in sorted(edges):
        visit(start, [])
    return cycles


def packages_of(graph: Mapping[str, Iterable[str]]) -> set[str]:
    return {m for m in graph if (ROOT / m.replace(".", "/") / "__init__.py").exists()}


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_only_the_envelope_filecrypt_and_receipt_codes_touch_nacl_and_argon2() -> None:
    # onion_keys.py turns tor's expanded ed25519 scalar into its public key with libsodium's
    # constant-time scalar multiplication: pyca/cryptography takes only a seed, which tor's
    # key files do not hold, and onion_config may not import dropbox_server.
    allowed = (
        "dropbox_server/envelope.py",
        "dropbox_server/filecrypt.py",
        "dropbox_server/custodian_shares.py",
        "receipt_codes/",
        "onion_config/onion_keys.py",
    )
    offenders = [
        rel(p) for p in modules() if imported(p) & {"nacl", "argon2"} and not rel(p).startswith(allowed)
    ]
    assert offenders == []


def test_only_custodian_shares_imports_slip39() -> None:
    offenders = [
        rel(p)
        for p in modules()
        if "shamir_mnemonic" in imported(p) and rel(p) != "dropbox_server/custodian_shares.py"
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


def test_every_module_is_on_the_map() -> None:
    assert [m for m in import_graph() if layer_of(m) is None and m != "dropbox_server"] == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports(import_graph()) == []


def test_views_import_neither_the_store_nor_the_crypto() -> None:
    assert view_offences(import_graph()) == []


def test_files_import_no_use_case_and_no_view() -> None:
    assert files_offences(import_graph()) == []


def test_no_import_cycles_between_packages() -> None:
    graph = import_graph()
    assert package_cycles(graph, packages_of(graph)) == []


def test_the_layer_rules_would_catch_an_offender() -> None:
    bad = {
        "dropbox_server.web.appkeys": {"dropbox_server.services"},  # wiring pulled up into web
        "dropbox_server.web.staff.case_views": {"dropbox_server.store.units", "dropbox_server.envelope"},
        "dropbox_server.files.casework": {"dropbox_server.reports.access", "dropbox_server.web.staff.pages"},
        "dropbox_server.web.staff.routes": {"dropbox_server.files.casework"},
    }
    assert upward_imports(bad) == [
        "dropbox_server.files.casework -> dropbox_server.reports.access",
        "dropbox_server.files.casework -> dropbox_server.web.staff.pages",
        "dropbox_server.web.appkeys -> dropbox_server.services",
    ]
    assert view_offences(bad) == [
        "dropbox_server.web.staff.case_views -> dropbox_server.envelope",
        "dropbox_server.web.staff.case_views -> dropbox_server.store.units",
    ]
    assert files_offences(bad) == [
        "dropbox_server.files.casework -> dropbox_server.reports.access",
        "dropbox_server.files.casework -> dropbox_server.web.staff.pages",
    ]
    assert package_cycles(bad, {"dropbox_server.files", "dropbox_server.web.staff"}) == [
        ["dropbox_server.files", "dropbox_server.web.staff", "dropbox_server.files"]
    ]
    assert layer_of("dropbox_server.nowhere") is None
