"""House rules checked by tools: lint, types, and a domain free of infrastructure."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOMAIN = REPO / "src" / "ledger" / "domain"
ALLOWED_OUTSIDE_STDLIB = ("eventsourcing.domain", "ledger.domain")
# biip is a pure GS1 barcode parser (no I/O); only the UDI reader uses it. The library's
# topic registry keeps moved event classes under the names they were stored with.
ALLOWED_IN_FILE = {"udi.py": ("biip",), "topics.py": ("eventsourcing.utils",)}


def tool(name: str) -> str:
    executable = Path(sys.executable).with_name(name)
    assert executable.exists(), f"{name} is not installed next to {sys.executable}"
    return str(executable)


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing_in_src_and_tests() -> None:
    result = run(tool("ruff"), "check", "--no-cache", "src", "tests")

    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_as_configured_in_pyproject_finds_nothing() -> None:
    result = run(tool("mypy"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, absolute, with its line number."""
    package = "ledger.domain"  # every file checked is a module of this package
    modules = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            modules.append((node.lineno, name))
    return modules


def allowed(module: str, file_name: str = "") -> bool:
    top = module.split(".")[0]
    if top == "__future__" or top in sys.stdlib_module_names:
        return True
    extra = ALLOWED_IN_FILE.get(file_name, ())
    return any(module == ok or module.startswith(ok + ".") for ok in ALLOWED_OUTSIDE_STDLIB + extra)


@pytest.mark.parametrize(
    "path", sorted(DOMAIN.rglob("*.py")), ids=lambda path: str(path.relative_to(DOMAIN))
)
def test_the_domain_imports_only_the_standard_library_and_the_librarys_domain(
    path: Path,
) -> None:
    forbidden = [
        f"line {line}: {module}"
        for line, module in imported_modules(path)
        if not allowed(module, path.name)
    ]

    assert forbidden == []


def test_the_import_rule_would_catch_infrastructure_in_the_domain() -> None:
    for module in ("psycopg", "eventsourcing.postgres", "eventsourcing", "ledger.store.chain"):
        assert not allowed(module)
    for module in ("decimal", "eventsourcing.domain", "ledger.domain.values", "__future__"):
        assert allowed(module)
    assert not allowed("biip", "lot.py")
    assert allowed("biip.gs1_element_strings", "udi.py")


def test_the_domain_package_has_modules_to_check() -> None:
    assert {path.name for path in DOMAIN.rglob("*.py")} >= {"product.py", "party.py", "values.py"}
