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


# The layers, bottom first: a module may import from its own layer and the ones below it,
# never from one above (docs/architecture.md). A module belongs to the layer of the longest
# prefix that names it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("ledger.domain", "ledger.__init__"),
    ("ledger.settings", "ledger.store", "ledger.migrations"),
    ("ledger.integrity",),
    ("ledger.application",),
    ("projections",),
    ("ledger.demo",),
    ("api",),
    ("api.bench",),
    ("api.cli", "api.__main__"),
)
SRC = REPO / "src"


def layer_of(module: str) -> int | None:
    """The layer of one of the ledger's modules (None for a module of another package)."""
    found: tuple[int, int] | None = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                found is None or len(prefix) > found[1]
            ):
                found = (rank, len(prefix))
    return None if found is None else found[0]


def module_name(path: Path, root: Path = SRC) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    # A package's own file is its name, but the top package's (empty) one sits at the bottom.
    if parts[-1] == "__init__" and len(parts) > 2:
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, root: Path = SRC) -> list[tuple[int, str]]:
    """Every module a file imports (relative imports resolved), with its line number."""
    name = module_name(path, root)
    package = name.removesuffix(".__init__") if path.name == "__init__.py" else name
    package = package if path.name == "__init__.py" else package.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # ``from ledger import merkle`` imports the module ledger.merkle.
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def upward_imports(path: Path, root: Path = SRC) -> list[str]:
    """Imports of ``path`` that reach a layer above its own."""
    own = layer_of(module_name(path, root))
    assert own is not None, f"{path} is in no layer"
    upward = []
    for line, imported in imports_of(path, root):
        rank = layer_of(imported)
        if rank is not None and rank > own:
            upward.append(f"line {line}: {imported} ({LAYERS[rank][0]} above {LAYERS[own][0]})")
    return upward


@pytest.mark.parametrize(
    "path", sorted(SRC.rglob("*.py")), ids=lambda path: str(path.relative_to(SRC))
)
def test_no_module_imports_from_a_layer_above_its_own(path: Path) -> None:
    assert upward_imports(path) == []


def test_the_layer_rule_would_catch_an_upward_import(tmp_path: Path) -> None:
    assert layer_of("ledger.domain.lot.aggregate") == 0
    assert layer_of("ledger.store.database") == layer_of("ledger.settings") == 1
    assert layer_of("ledger.application.lots") == 3
    assert layer_of("api.routers.stock") == 6
    assert layer_of("api.bench.frame") == 7 and layer_of("api.cli.main") == 8
    assert layer_of("psycopg") is None
    planted = {
        "ledger/domain/lot/planted.py": "from ledger.application.lots import Lots\n",
        "ledger/store/planted.py": "from ledger import integrity\n",
        "projections/planted.py": "import api.deps\n",
        "ledger/application/planted.py": "from projections.stock import Stock\n",
        "api/bench/planted.py": "from api.cli.output import emit\n",
        "api/routers/planted.py": "from ..bench import frame\n",
    }
    for relative, source in planted.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        assert len(upward_imports(path, tmp_path)) == 1, relative


def test_every_source_file_is_in_a_layer() -> None:
    outside = [str(p) for p in SRC.rglob("*.py") if layer_of(module_name(p)) is None]
    assert outside == []
