"""Scores a finished mutmut run per module of the security core and fails under the threshold.

    python -m tests.mutation.score [--mutants DIR]

The modules are the `only_mutate` list in pyproject.toml (the one place they are named);
the threshold and the equivalent mutants, each with its reason, are in equivalent.toml
beside this file. An equivalent mutant is matched by name AND by the line it changes, so
one whose function was edited since is reported as stale instead of silently excused.
A mutant is caught if a test failed (or timed out, or the type check refused it); survivors
and mutants no selected test reaches both count against the score.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAUGHT = {1, 3, 36, -24, 24, 152, 255, 37}  # mutmut: failed tests, pytest error, timeouts, type check
NOT_CAUGHT = {0: "survived", 5: "no test reaches it", 33: "no test reaches it"}


@dataclass
class ModuleScore:
    path: str
    caught: int = 0
    equivalent: int = 0
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # (name, why, changed line)

    @property
    def counted(self) -> int:
        return self.caught + len(self.missed)

    @property
    def percent(self) -> float:
        return 100.0 * self.caught / self.counted if self.counted else 100.0


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    listed: list[str] = config["tool"]["mutmut"]["only_mutate"]
    return listed


def load_equivalents() -> tuple[float, dict[str, tuple[str, str]]]:
    data = tomllib.loads((Path(__file__).parent / "equivalent.toml").read_text("utf-8"))
    known = {e["mutant"]: (e["changes"], e["reason"]) for e in data.get("equivalent", [])}
    return float(data["threshold_percent"]), known


def changed_line(source: ast.Module, mutant: str) -> str:
    """The line a mutant changes, from the mutated copy mutmut writes beside its original."""
    funcs = {n.name: n for n in ast.walk(source) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    base = mutant.rsplit("__mutmut_", 1)[0]
    original, mutated = funcs.get(f"{base}__mutmut_orig"), funcs.get(mutant)
    if original is None or mutated is None:
        return "?"
    before = ast.unparse(original).splitlines()
    after = ast.unparse(mutated).replace(mutant, original.name, 1).splitlines()
    diff = list(difflib.unified_diff(before, after, n=0))
    added = [line[1:].strip() for line in diff[2:] if line.startswith("+")]
    removed = [line[1:].strip() for line in diff[2:] if line.startswith("-")]
    return " | ".join(added) or "deleted: " + " | ".join(removed)


def score(mutants_dir: Path) -> tuple[list[ModuleScore], list[str]]:
    _, equivalents = load_equivalents()
    scores, stale = [], []
    used: set[str] = set()
    for path in modules():
        result = ModuleScore(path)
        meta_path = mutants_dir / f"{path}.meta"
        if not meta_path.exists():
            result.missed.append(("(whole module)", "not mutated: run scripts/mutation.sh", ""))
            scores.append(result)
            continue
        exit_codes: dict[str, int | None] = json.loads(meta_path.read_text("utf-8"))["exit_code_by_key"]
        source = ast.parse((mutants_dir / path).read_text("utf-8"))
        for name, code in sorted(exit_codes.items()):
            line = changed_line(source, name.rsplit(".", 1)[1])
            if name in equivalents:
                used.add(name)
                if equivalents[name][0] == line:
                    result.equivalent += 1
                    continue
                stale.append(f"{name}: listed as changing {equivalents[name][0]!r}, now {line!r}")
            if code in CAUGHT:
                result.caught += 1
            else:
                why = "not run" if code is None else NOT_CAUGHT.get(code, f"exit code {code}")
                result.missed.append((name, why, line))
        scores.append(result)
    stale += [f"{name}: no such mutant any more" for name in equivalents if name not in used]
    return scores, stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=ROOT / "mutants")
    args = parser.parse_args()
    threshold, _ = load_equivalents()
    scores, stale = score(args.mutants)
    failing = [s for s in scores if s.percent < threshold]
    print(f"{'module':45} {'caught':>7} {'counted':>8} {'equiv.':>7} {'score':>7}")
    for s in scores:
        print(f"{s.path:45} {s.caught:7} {s.counted:8} {s.equivalent:7} {s.percent:6.1f}%")
    total_caught, total = sum(s.caught for s in scores), sum(s.counted for s in scores)
    print(f"{'all':45} {total_caught:7} {total:8} {sum(s.equivalent for s in scores):7} "
          f"{100.0 * total_caught / max(total, 1):6.1f}%")
    for s in scores:
        for name, why, line in s.missed:
            print(f"  {why}: {name}\n      {line}")
    for entry in stale:
        print(f"  stale equivalent (check it again): {entry}")
    if failing or stale:
        print(f"FAIL: under {threshold:.0f}%: {', '.join(s.path for s in failing) or 'none'}; "
              f"stale equivalents: {len(stale)}")
        return 1
    print(f"OK: every module at or above {threshold:.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
