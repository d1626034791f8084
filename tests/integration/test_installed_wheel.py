"""The wheel, installed into a fresh virtual environment outside the checkout, carries what the
ledger reads at run time (its SQL migrations, the dunning templates, the type marker), and
its ``ledger`` command migrates, loads the demo and verifies on the embedded server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("pyproject.toml", "README.md", "migrations", "src")
INSTALL_TIMEOUT_SECONDS = 900

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("LEDGER_DATABASE_URL", "").strip()),
    reason="the embedded pass runs it: it installs the wheel and uses the embedded server",
)


def outside_env(**extra: str) -> dict[str, str]:
    """This environment (so pip uses the same package index and cache) without the ledger's
    settings or anything that would lead Python back into the checkout."""
    leaky = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LEDGER_") and key not in leaky
    }
    return {**env, **extra}


def run(command: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    """Run ``command``; its standard output, or a failure showing both outputs."""
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def build_wheel(workdir: Path) -> Path:
    """The project's wheel, built from a copy of the checkout: a build writes beside its
    sources, and the checkout stays as it is."""
    source = workdir / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name,
                source / name,
                symlinks=True,  # src/ledger/migrations links to the top-level folder
                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
            )
        else:
            shutil.copy2(REPO / name, source / name)
    dist = workdir / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        cwd=workdir,
        env=outside_env(),
    )
    (wheel,) = dist.glob("*.whl")
    return wheel


def packaged(wheel: Path, folder: str) -> set[str]:
    """The names of the files the wheel holds in ``folder``."""
    with zipfile.ZipFile(wheel) as archive:
        return {
            name.removeprefix(f"{folder}/")
            for name in archive.namelist()
            if name.startswith(f"{folder}/") and "/" not in name.removeprefix(f"{folder}/")
        }


def ledger_json(bin_dir: Path, *args: str, cwd: Path, env: dict[str, str]) -> Any:
    """Run the installed ``ledger`` command with ``--json``; its answer."""
    return json.loads(run([str(bin_dir / "ledger"), *args, "--json"], cwd=cwd, env=env))


def test_the_wheel_installed_outside_the_checkout_migrates_loads_the_demo_and_verifies(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(workdir)

    sql_files = {path.name for path in (REPO / "migrations").glob("*.sql")}
    templates = {path.name for path in (REPO / "src" / "ledger" / "templates").iterdir()}
    assert packaged(wheel, "ledger/migrations") == sql_files
    assert packaged(wheel, "ledger/templates") == templates
    assert "py.typed" in packaged(wheel, "ledger")

    venv = workdir / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=workdir, env=outside_env())
    bin_dir = venv / "bin"
    run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=workdir,
        env=outside_env())  # fmt: skip

    elsewhere = tmp_path_factory.mktemp("elsewhere")
    env = outside_env(LEDGER_DATA_DIR=str(tmp_path_factory.mktemp("data")))
    imported = run([str(bin_dir / "python"), "-c", "import ledger; print(ledger.__file__)"],
                   cwd=elsewhere, env=env)  # fmt: skip
    assert Path(imported.strip()).is_relative_to(venv)
    assert not elsewhere.is_relative_to(REPO)

    migrated = ledger_json(bin_dir, "migrate", cwd=elsewhere, env=env)
    loaded = ledger_json(bin_dir, "demo", "--scale", "small", cwd=elsewhere, env=env)
    verified = ledger_json(bin_dir, "verify", cwd=elsewhere, env=env)

    assert migrated == {"ok": True, "schema": "public"}
    assert loaded["scale"] == "small" and loaded["events"] > 0
    assert verified["ok"] is True
    assert verified["events"] == loaded["events"]
