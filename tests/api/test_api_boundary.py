"""The request boundary: request ids, the access log, body limits, a lost database."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx2
import pytest
from api_harness import api_client, assert_problem, bearer, event_count, issue, product_body, unique

from api.app import create_app
from api.keys import Role
from api.middleware import json_depth_exceeds
from api.server import ServerThread
from ledger.settings import Settings
from ledger.store.database import Database


def test_a_sane_request_id_is_echoed_and_any_other_replaced(database: Database) -> None:
    with api_client(database) as client:
        echoed = client.get("/v1/health", headers={"X-Request-ID": "req-2026.11:42"})
        spaced = client.get("/v1/health", headers={"X-Request-ID": "two words"})
        too_long = client.get("/v1/health", headers={"X-Request-ID": "r" * 129})
        missing = client.get("/nowhere")

    assert echoed.headers["x-request-id"] == "req-2026.11:42"
    generated = {r.headers["x-request-id"] for r in (spaced, too_long, missing)}
    assert len(generated) == 3
    assert all(len(value) == 32 for value in generated)
    assert missing.json()["request_id"] == missing.headers["x-request-id"]


def test_each_request_leaves_one_json_line_in_the_access_log(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    token = issue(database, Role.AUDITOR)
    key_id = token.split("_")[1]
    with api_client(database) as client, caplog.at_level(logging.INFO, logger="ledger.api"):
        response = client.get(
            "/v1/events?limit=1", headers={**bearer(token), "X-Request-ID": "log-1"}
        )

    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "ledger.api"]
    assert lines == [
        {
            **lines[0],
            "request_id": "log-1",
            "method": "GET",
            "path": "/v1/events",
            "query": "limit=1",
            "status": response.status_code,
            "api_key_id": key_id,
        }
    ]
    assert lines[0]["duration_ms"] > 0


@pytest.fixture
def small_server(database: Database) -> Iterator[tuple[str, str]]:
    """A real server with a 1 KiB body limit and a JSON depth limit of 4."""
    app = create_app(
        Settings(pool_size=2, max_body_bytes=1024, max_json_depth=4), database=database
    )
    with ServerThread(app) as server:
        yield server.url, issue(database, Role.OPERATOR)


def test_a_streamed_body_is_cut_off_at_the_limit_without_a_declared_length(
    small_server: tuple[str, str], database: Database
) -> None:
    url, token = small_server
    chunks = [b'{"name": "', *([b"x" * 256] * 8), b'"}']

    with httpx2.Client(base_url=url) as client:
        response = client.post(
            "/v1/products",
            content=iter(chunks),
            headers={**bearer(token, "stream-1"), "Content-Type": "application/json"},
        )

    assert "content-length" not in response.request.headers
    problem = assert_problem(response, 413, "body-too-large")
    assert problem["max_body_bytes"] == 1024
    assert event_count(database) == 0


def test_the_configured_limits_apply_and_a_body_within_them_goes_through(
    small_server: tuple[str, str], database: Database
) -> None:
    url, token = small_server
    deep = b'{"a": [[[{"b": 1}]]]}'  # five levels

    with httpx2.Client(base_url=url) as client:
        too_deep = client.post(
            "/v1/products",
            content=deep,
            headers={**bearer(token, "deep-1"), "Content-Type": "application/json"},
        )
        fine = client.post(
            "/v1/products", json=product_body(unique()), headers=bearer(token, "ok-1")
        )

    assert assert_problem(too_deep, 422, "json-too-deep")["max_json_depth"] == 4
    assert fine.status_code == 201
    assert event_count(database) == 1


@pytest.mark.parametrize(
    ("body", "limit", "exceeds"),
    [
        (b'{"a": {"b": {"c": 1}}}', 3, False),
        (b'{"a": {"b": {"c": {}}}}', 3, True),
        (b'[[[["four"]]]]', 4, False),
        (b'["[[[[[[", "{{{{{{{"]', 1, False),
        (b'["\\"[[[[", [[1]]]', 2, True),
        (b'["\\\\", [1]]', 2, False),
        (b"[[[[[[[[ not json at all", 5, True),
        (b"", 1, False),
    ],
)
def test_the_depth_scan_counts_brackets_outside_strings(
    body: bytes, limit: int, exceeds: bool
) -> None:
    assert json_depth_exceeds(body, limit) is exceeds


def test_the_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("LEDGER_MAX_JSON_DEPTH", "8")

    settings = Settings()

    assert (settings.max_body_bytes, settings.max_json_depth) == (2048, 8)
    assert (
        Settings.model_fields["max_body_bytes"].default,
        Settings.model_fields["max_json_depth"].default,
    ) == (10 * 1024 * 1024, 32)


def cut_api_connections(database: Database) -> None:
    """End every session of the API's read pool, as a database restart would."""
    with database.connect(autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (f"ledger-api/{database.schema}",),
        )


def test_requests_after_the_database_dropped_every_connection_still_succeed(
    database: Database,
) -> None:
    token = issue(database, Role.AUDITOR)
    with api_client(database) as client:
        assert client.get("/v1/events", headers=bearer(token)).status_code == 200
        cut_api_connections(database)

        events = client.get("/v1/events", headers=bearer(token))
        health = client.get("/v1/health")

    assert events.status_code == 200
    assert health.json()["database"]["reachable"] is True


def test_without_database_connections_the_api_answers_503(database: Database) -> None:
    token = issue(database, Role.AUDITOR)
    with api_client(database) as client:
        client.app.state.services.reads.close()  # type: ignore[attr-defined]

        health = client.get("/v1/health")
        events = client.get("/v1/events", headers=bearer(token))

    assert health.status_code == 503
    assert health.json()["database"] == {"reachable": False, "latest_position": None}
    assert_problem(events, 503, "database-unavailable")
    assert events.headers["retry-after"] == "5"
