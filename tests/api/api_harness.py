"""Helpers of the API tests: the app on a test's own schema, API keys, bodies, problems.

Not a conftest: a second ``conftest`` module would shadow the root one, whose helpers the
tests import as ``from conftest import ...``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import Role, issue_key
from api.problems import PROBLEM_BASE, PROBLEM_JSON
from conftest import valid_gtin
from ledger.settings import Settings
from ledger.store.database import Database

_numbers = itertools.count(1)


def unique() -> int:
    """A number no other call in this test run returns."""
    return next(_numbers)


@contextmanager
def api_client(database: Database, **limits: Any) -> Iterator[TestClient]:
    """A started app on ``database`` (already migrated), with the given API limits."""
    app = create_app(Settings(pool_size=2, **limits), database=database)
    with TestClient(app) as client:
        yield client


def issue(
    database: Database, role: Role, *, party: str | None = None, name: str | None = None
) -> str:
    """A new API key with ``role``, as its holder sends it."""
    with database.connect(autocommit=True) as conn:
        return issue_key(conn, role=role, party=party, name=name).token


def bearer(token: str, idempotency_key: str | None = None) -> dict[str, str]:
    """Request headers carrying ``token`` (and an Idempotency-Key when given)."""
    headers = {"Authorization": f"Bearer {token}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


def product_body(number: int) -> dict[str, Any]:
    """A valid product registration with a GTIN of its own."""
    return {
        "gtin": valid_gtin(number, prefix="0691"),
        "name": f"Coronary stent system, model {number}",
        "registration_certificate": f"NMPA-2026-3{number:06d}",
        "risk_class": "III",
        "unit_of_use": "each",
        "storage_min_celsius": "2.0",
        "storage_max_celsius": "25.0",
        "serialised": True,
        "company_prefix_length": 7,
    }


def party_body(code: str) -> dict[str, Any]:
    """A valid registration of a hospital with this code."""
    return {
        "code": code,
        "name": f"Hospital {code}",
        "role": "hospital",
        "region": "East China",
        "recall_contact": f"recall@{code.lower()}.example.cn",
    }


def event_count(database: Database) -> int:
    """How many events the test's schema holds."""
    with database.connect() as conn:
        row = conn.execute("SELECT count(*) FROM ledger_events").fetchone()
    assert row is not None
    return int(row[0])


def assert_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    """Check that ``response`` is an RFC 9457 problem of this status and kind; return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = response.json()
    assert problem["type"] == PROBLEM_BASE + kind, problem
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert problem["instance"] == response.request.url.path
    assert problem["request_id"] == response.headers["x-request-id"]
    return problem


AT = "2026-03-02T08:00:00+08:00"
"""When the movements of the API tests occur."""


def receipt_body(gtin: str, lot: str, accepted: int, *, supplier: str) -> dict[str, Any]:
    """A receipt of ``accepted`` units of a new lot at WH-SH-01, expiring in 2028."""
    return {
        "gtin": gtin,
        "lot": lot,
        "supplier": supplier,
        "purchase_order": f"PO-{lot}",
        "location": "WH-SH-01",
        "accepted": accepted,
        "expiry": "2028-01-31",
        "occurred_at": AT,
    }


def shipment_body(gtin: str, lot: str, quantity: int, *, consignee: str) -> dict[str, Any]:
    """A shipment of ``quantity`` units of the lot from WH-SH-01, with a reference of its own."""
    return {
        "shipment": f"SHP-{unique()}",
        "consignee": consignee,
        "lines": [{"gtin": gtin, "lot": lot, "quantity": quantity, "from_location": "WH-SH-01"}],
        "occurred_at": AT,
    }
