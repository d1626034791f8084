"""`ledger recall evidence`: the bundle written by the CLI, checked by its own verifier;
failures are one line and exit 1."""

from __future__ import annotations

import base64
import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from api.bench.evidence import recall_scenario
from api.bootstrap import build_projections
from conftest import cli_env, run_cli
from ledger.application.ledger import Ledger
from ledger.store.database import Database

needs_read_model = pytest.mark.skipif(
    importlib.util.find_spec("projections.recall_impact") is None,
    reason="the recall impact read model is not available",
)
SEED = base64.b64encode(bytes(range(32))).decode()


def test_a_recall_without_evidence_is_one_line_and_exit_1(
    database: Database, tmp_path: Path
) -> None:
    output = tmp_path / "bundle.zip"

    result = run_cli("recall", "evidence", "RC-NONE", "-o", str(output), env=cli_env(database))

    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert not output.exists()


@needs_read_model
def test_the_bundle_written_verifies_offline(
    ledger: Ledger, database: Database, tmp_path: Path
) -> None:
    recall_scenario(ledger, 3)
    build_projections(database, ledger).catch_up()
    output = tmp_path / "bundle.zip"
    env = cli_env(database, LEDGER_CHECKPOINT_KEY=SEED)

    result = run_cli("recall", "evidence", "RC-EV-1", "-o", str(output), "--json", env=env)

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["consignees"] == 3 and summary["path"] == str(output)
    zipfile.ZipFile(output).extractall(tmp_path / "bundle")
    verdict = subprocess.run(
        [sys.executable, "-I", "-S", "verify_bundle.py"],
        cwd=tmp_path / "bundle", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert verdict.returncode == 0, verdict.stdout
    assert verdict.stdout.startswith("OK: ")


@needs_read_model
def test_without_a_key_or_a_covering_checkpoint_it_says_so(
    ledger: Ledger, database: Database, tmp_path: Path
) -> None:
    recall_scenario(ledger, 1)
    build_projections(database, ledger).catch_up()

    result = run_cli(
        "recall", "evidence", "RC-EV-1", "-o", str(tmp_path / "b.zip"), env=cli_env(database)
    )

    assert result.returncode == 1
    assert "no checkpoint key is configured" in result.stderr
