"""Imports go one way: features ← training ← service (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"features": {"training", "service"}, "training": {"service"}, "service": set()}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_against_the_flow(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        wrong = _imports(path) & FORBIDDEN[package]
        assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"


def test_no_generic_helper_modules() -> None:
    names = {p.name for pkg in FORBIDDEN for p in (ROOT / pkg).rglob("*.py")}
    assert not names & {"utils.py", "helpers.py", "common.py"}
