"""The benchmarks are not product code: they may use the whole product, nothing uses them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
# What the benchmarks sit on: the ledger, the read models and the HTTP layer. Only the
# benchmarks themselves and the command line (above them) may import ``api.bench``.
BELOW_THE_BENCHMARKS = sorted(
    path
    for path in SRC.rglob("*.py")
    if not path.is_relative_to(SRC / "api" / "bench")
    and not path.is_relative_to(SRC / "api" / "cli")
)


def is_the_benchmarks(module: str) -> bool:
    return module == "api.bench" or module.startswith("api.bench.")


def imports_of_the_benchmarks(path: Path) -> list[str]:
    """Every import in ``path`` that names ``api.bench`` or a module of it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # ``from api import bench`` names the package in what it imports.
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            names = names[:1] if is_the_benchmarks(node.module) else names[1:]
        else:
            continue
        found.extend(f"line {node.lineno}: {name}" for name in names if is_the_benchmarks(name))
    return found


@pytest.mark.parametrize("path", BELOW_THE_BENCHMARKS, ids=lambda path: str(path.relative_to(SRC)))
def test_nothing_below_the_benchmarks_imports_them(path: Path) -> None:
    assert imports_of_the_benchmarks(path) == []


def test_the_rule_would_catch_an_import_of_the_benchmarks(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "import api.bench.frame\nfrom api import bench, bootstrap\nfrom api.bench.load import MIX\n"
    )

    assert imports_of_the_benchmarks(module) == [
        "line 1: api.bench.frame",
        "line 2: api.bench",
        "line 3: api.bench.load",
    ]


def test_the_rule_has_the_ledger_and_the_read_models_to_check() -> None:
    checked = {path.relative_to(SRC).parts[0] for path in BELOW_THE_BENCHMARKS}

    assert checked >= {"ledger", "projections", "api"}
