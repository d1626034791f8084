"""GET /v1/recalls/{recall_id}/evidence: the bundle for auditors and regulators only, checked
offline by its own verifier; unknown recalls are a 404 problem."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from api_harness import api_client, assert_problem, bearer, event_count, issue
from audit_access import TEST_KEY

from api.bench.evidence import recall_scenario
from api.bootstrap import build_projections
from api.keys import Role
from ledger.application.ledger import Ledger
from ledger.integrity.checkpoints import sign_checkpoint
from ledger.store.database import Database

needs_read_model = pytest.mark.skipif(
    importlib.util.find_spec("projections.recall_impact") is None,
    reason="the recall impact read model is not available",
)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.FINANCE, Role.PARTNER])
def test_other_roles_are_refused_the_bundle(database: Database, role: Role) -> None:
    with api_client(database) as client:
        token = issue(database, role, party="HOSP-EV-0001" if role is Role.PARTNER else None)
        before = event_count(database)

        response = client.get("/v1/recalls/RC-EV-1/evidence", headers=bearer(token))

    assert_problem(response, 403, "forbidden")
    assert event_count(database) == before


@needs_read_model
def test_an_unknown_recall_is_a_404_problem(ledger: Ledger, database: Database) -> None:
    recall_scenario(ledger, 1)
    sign_checkpoint(database, TEST_KEY)
    with api_client(database) as client:
        token = issue(database, Role.REGULATOR)

        response = client.get("/v1/recalls/RC-NONE/evidence", headers=bearer(token))

    assert_problem(response, 404, "not-found")


@needs_read_model
@pytest.mark.parametrize("role", [Role.REGULATOR, Role.AUDITOR])
def test_the_bundle_served_verifies_offline(
    ledger: Ledger, database: Database, tmp_path: Path, role: Role
) -> None:
    recall_scenario(ledger, 4)
    build_projections(database, ledger).catch_up()
    sign_checkpoint(database, TEST_KEY)
    with api_client(database) as client:
        token = issue(database, role)

        response = client.get("/v1/recalls/RC-EV-1/evidence", headers=bearer(token))

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path)
    result = subprocess.run(
        [sys.executable, "-I", "-S", "verify_bundle.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: ")
    assert " 4 consignees, " in result.stdout
