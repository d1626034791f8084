"""Back-pressure: when the database is slow, requests end with 503 and Retry-After in time.

A second session holds ``ACCESS EXCLUSIVE`` on the events table, so every statement that
reads or appends events waits; the API must give up after its statement timeout, answer a
problem document, record nothing, and accept the same write once the lock is gone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from reliability_harness import api_harness

from api.app import create_app
from api.keys import Role
from ledger.settings import Settings
from ledger.store.database import Database

STATEMENT_TIMEOUT_MS = 400


@contextmanager
def events_locked(database: Database) -> Iterator[None]:
    """Another session holding the strongest lock on the events table until exit."""
    with database.connect() as conn:
        conn.execute("LOCK TABLE ledger_events IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    settings = Settings(
        pool_size=2, statement_timeout_ms=STATEMENT_TIMEOUT_MS, pool_timeout_seconds=1.0
    )
    app = create_app(settings, database=database)
    with TestClient(app) as test_client:
        yield test_client


def test_a_write_blocked_by_a_lock_is_a_503_with_retry_after_and_records_nothing(
    database: Database, client: TestClient
) -> None:
    token = api_harness.issue(database, Role.OPERATOR)
    body = api_harness.product_body(api_harness.unique())
    before = api_harness.event_count(database)

    with events_locked(database):
        began = time.monotonic()
        response = client.post(
            "/v1/products", json=body, headers=api_harness.bearer(token, "blocked-1")
        )
        took = time.monotonic() - began

    problem = api_harness.assert_problem(response, 503, "database-busy")
    assert int(response.headers["retry-after"]) >= 1
    assert "Idempotency-Key" in problem["detail"]
    # Bounded: one statement timeout (no library retries), not ten, and never a hang.
    assert took < 3 * STATEMENT_TIMEOUT_MS / 1000 + 1.0
    assert api_harness.event_count(database) == before

    retried = client.post("/v1/products", json=body, headers=api_harness.bearer(token, "blocked-1"))
    assert retried.status_code == 201, retried.text
    assert api_harness.event_count(database) == before + 1


def test_a_query_blocked_by_a_lock_is_a_503_with_retry_after(
    database: Database, client: TestClient
) -> None:
    token = api_harness.issue(database, Role.AUDITOR)

    with events_locked(database):
        began = time.monotonic()
        response = client.get("/v1/events", headers=api_harness.bearer(token))
        took = time.monotonic() - began

    api_harness.assert_problem(response, 503, "database-busy")
    assert response.headers["retry-after"] == "1"
    assert took < 3 * STATEMENT_TIMEOUT_MS / 1000 + 1.0
    assert client.get("/v1/events", headers=api_harness.bearer(token)).status_code == 200


def test_timeouts_are_settings_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEDGER_STATEMENT_TIMEOUT_MS", "1234")
    monkeypatch.setenv("LEDGER_POOL_TIMEOUT_SECONDS", "2.5")

    settings = Settings()

    assert (settings.statement_timeout_ms, settings.pool_timeout_seconds) == (1234, 2.5)
