"""The mutation-testing setup still points at real files (modules move; the list must follow)."""

from __future__ import annotations

import ast
import tomllib

from tests.mutation.score import ROOT, changed_line, load_equivalents, modules


def test_every_listed_module_and_test_path_exists() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    missing = [p for p in modules() + config["pytest_add_cli_args_test_selection"] if not (ROOT / p).exists()]
    assert missing == []


def test_the_threshold_is_at_least_90_percent_and_every_equivalent_has_a_reason() -> None:
    threshold, equivalents = load_equivalents()
    assert threshold >= 90
    assert all(changes and len(reason) > 10 for changes, reason in equivalents.values())


def test_changed_line_names_the_mutation() -> None:
    source = ast.parse(
        "def x_f__mutmut_orig(a):\n    return a < 1\n"
        "def x_f__mutmut_1(a):\n    return a <= 1\n"
        "def x_f__mutmut_2(a):\n    pass\n"
    )
    assert changed_line(source, "x_f__mutmut_1") == "return a <= 1"
    assert changed_line(source, "x_f__mutmut_2") == "pass"
    assert changed_line(source, "x_f__mutmut_9") == "?"
