"""Bad writes get the right problem document and record nothing; replays repeat answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from api_harness import (
    api_client,
    assert_problem,
    bearer,
    event_count,
    issue,
    product_body,
    unique,
)
from fastapi.testclient import TestClient

from api.errors import domain_problem_response
from api.keys import Role
from api.problems import PROBLEM_BASE
from conftest import fresh_database
from ledger.domain.errors import ConcurrentUpdate, LedgerError
from ledger.store.database import Database

TEN_MIB = 10 * 1024 * 1024


@dataclass
class Writer:
    """An operator's client on a schema of its own."""

    client: TestClient
    database: Database
    token: str

    def post(self, path: str, *, key: str | None = "fresh", **kwargs: Any) -> Any:
        headers = bearer(self.token, f"key-{unique()}" if key == "fresh" else key)
        headers.update(kwargs.pop("headers", {}))
        return self.client.post(path, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def writer(server: Database) -> Iterator[Writer]:
    with fresh_database(server) as database, api_client(database) as client:
        yield Writer(client, database, issue(database, Role.OPERATOR))


def raw_json(body: bytes) -> dict[str, Any]:
    return {"content": body, "headers": {"Content-Type": "application/json"}}


def with_fields(**changes: Any) -> dict[str, Any]:
    return {"json": {**product_body(unique()), **changes}}


def too_deep(levels: int) -> bytes:
    """A JSON object whose ``name`` nests arrays so that the body is ``levels`` deep."""
    inner = levels - 1
    return b'{"name": ' + b"[" * inner + b"]" * inner + b"}"


def bad_write(
    name: str,
    status: int,
    kind: str,
    *,
    path: str = "/v1/products",
    key: str | None = "fresh",
    **request: Any,
) -> Any:
    return pytest.param(path, key, request, status, kind, id=name)


HOSPITAL_WITH_GRADE = {
    "code": "HOSP-G",
    "name": "Hospital G",
    "role": "hospital",
    "region": "East China",
    "recall_contact": "recall@hosp-g.example.cn",
    "grade": "A",
}
BAD_WRITES = [
    bad_write("malformed JSON", 422, "malformed-json", **raw_json(b'{"gtin": ')),
    bad_write("JSON that is not an object", 422, "invalid-request", json=[1, 2]),
    bad_write("an unknown field", 422, "invalid-request", **with_fields(colour="red")),
    bad_write(
        "an integer sent as a string",
        422,
        "invalid-request",
        **with_fields(company_prefix_length="7"),
    ),
    bad_write(
        "a temperature sent as a float",
        422,
        "invalid-request",
        **with_fields(storage_min_celsius=2.5),
    ),
    bad_write(
        "a missing required field", 422, "invalid-request", path="/v1/parties", json={"code": "X"}
    ),
    bad_write("no Idempotency-Key", 400, "idempotency-key-missing", key=None, **with_fields()),
    bad_write(
        "an Idempotency-Key of 256 characters",
        400,
        "idempotency-key-invalid",
        key="k" * 256,
        **with_fields(),
    ),
    bad_write(
        "an Idempotency-Key with a control character",
        400,
        "idempotency-key-invalid",
        key="abc\tdef",
        **with_fields(),
    ),
    bad_write("an empty Idempotency-Key", 400, "idempotency-key-invalid", key="", **with_fields()),
    bad_write(
        "a body over 10 MiB",
        413,
        "body-too-large",
        **raw_json(b'{"name": "' + b"x" * TEN_MIB + b'"}'),
    ),
    bad_write("JSON nested 33 levels deep", 422, "json-too-deep", **raw_json(too_deep(33))),
    bad_write(
        "a GTIN with a wrong check digit",
        422,
        "invalid-gtin",
        **with_fields(gtin="06901234000017"),
    ),
    bad_write(
        "a minimum storage temperature above the maximum",
        422,
        "invalid-value",
        **with_fields(storage_min_celsius="30"),
    ),
    bad_write(
        "a hospital with a distributor's grade",
        422,
        "invalid-value",
        path="/v1/parties",
        json=HOSPITAL_WITH_GRADE,
    ),
]


@pytest.mark.parametrize(("path", "key", "request_kwargs", "status", "kind"), BAD_WRITES)
def test_a_bad_write_gets_its_problem_document_and_records_nothing(
    writer: Writer,
    path: str,
    key: str | None,
    request_kwargs: dict[str, Any],
    status: int,
    kind: str,
) -> None:
    before = event_count(writer.database)

    response = writer.post(path, key=key, **request_kwargs)

    assert_problem(response, status, kind)
    assert event_count(writer.database) == before


def test_the_problem_names_the_field_and_the_broken_rule(writer: Writer) -> None:
    gtin = assert_problem(
        writer.post("/v1/products", **with_fields(gtin="06901234000017")), 422, "invalid-gtin"
    )
    unknown = assert_problem(
        writer.post("/v1/products", **with_fields(colour="red")), 422, "invalid-request"
    )
    typed = assert_problem(
        writer.post("/v1/products", **with_fields(company_prefix_length="7")),
        422,
        "invalid-request",
    )

    assert (gtin["field"], gtin["value"]) == ("gtin", "06901234000017")
    assert "check digit" in gtin["reason"]
    assert unknown["field"] == "colour"
    assert [e["type"] for e in unknown["errors"]] == ["extra_forbidden"]
    assert typed["field"] == "company_prefix_length"


def test_a_body_over_the_limit_is_refused_by_its_declared_length_alone(writer: Writer) -> None:
    # The declared length is over the limit; the body never comes.
    response = writer.post(
        "/v1/products",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": str(TEN_MIB + 1)},
    )

    problem = assert_problem(response, 413, "body-too-large")
    assert problem["max_body_bytes"] == TEN_MIB


def test_json_exactly_at_the_depth_limit_reaches_the_model(writer: Writer) -> None:
    # 32 levels pass the depth check; the model then refuses a list as a name.
    response = writer.post("/v1/products", **raw_json(too_deep(32)))

    problem = assert_problem(response, 422, "invalid-request")
    assert {e["field"] for e in problem["errors"]} >= {"name"}


def test_a_replay_returns_the_first_answer_and_records_nothing(writer: Writer) -> None:
    body = product_body(unique())
    first = writer.post("/v1/products", key="replay-1", json=body)
    after_first = event_count(writer.database)

    again = writer.post("/v1/products", key="replay-1", json=body)

    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"] == f"/v1/products/{body['gtin']}"
    assert event_count(writer.database) == after_first


def test_a_key_reused_for_a_different_request_is_a_conflict(writer: Writer) -> None:
    assert (
        writer.post("/v1/products", key="reused-1", json=product_body(unique())).status_code == 201
    )
    before = event_count(writer.database)

    response = writer.post("/v1/products", key="reused-1", json=product_body(unique()))

    problem = assert_problem(response, 409, "idempotency-key-reused")
    assert problem["idempotency_key"] == "reused-1"
    assert event_count(writer.database) == before


def test_registering_the_same_product_under_a_new_key_is_a_conflict(writer: Writer) -> None:
    body = product_body(unique())
    assert writer.post("/v1/products", json=body).status_code == 201
    before = event_count(writer.database)

    problem = assert_problem(writer.post("/v1/products", json=body), 409, "already-registered")

    assert (problem["kind"], problem["key"]) == ("product", body["gtin"])
    assert event_count(writer.database) == before


def test_idempotency_keys_belong_to_the_api_key_that_sent_them(writer: Writer) -> None:
    other = issue(writer.database, Role.OPERATOR, name="second operator")
    first = writer.post("/v1/products", key="shared-key", json=product_body(unique()))

    second = writer.client.post(
        "/v1/products", headers=bearer(other, "shared-key"), json=product_body(unique())
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["positions"] != second.json()["positions"]


def test_the_command_records_the_api_keys_name_as_actor_and_its_id_as_scope(
    writer: Writer,
) -> None:
    token = issue(writer.database, Role.OPERATOR, name="Warehouse desk 3")
    key_id = token.split("_")[1]

    writer.client.post("/v1/products", headers=bearer(token, "who-1"), json=product_body(unique()))

    with writer.database.connect() as conn:
        row = conn.execute(
            "SELECT scope, actor, command FROM ledger_commands WHERE idempotency_key = 'who-1'"
        ).fetchone()
    assert row == (key_id, "Warehouse desk 3", "register_product")


def test_unknown_paths_and_methods_are_problems_too(writer: Writer) -> None:
    missing = writer.client.get("/v1/nothing-here")
    wrong_method = writer.client.delete("/v1/health")

    assert_problem(missing, 404, "not-found")
    assert_problem(wrong_method, 405, "method-not-allowed")
    assert wrong_method.headers["allow"] == "GET"


def test_an_unexpected_failure_is_a_500_problem_with_the_request_id(
    writer: Writer, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    writer.client.app.add_api_route("/test-only/broken", broken)  # type: ignore[attr-defined]

    with caplog.at_level("ERROR", logger="ledger.api"):
        response = writer.client.get("/test-only/broken")

    problem = assert_problem(response, 500, "internal-error")
    assert "a bug" not in response.text
    assert any(problem["request_id"] in record.getMessage() for record in caplog.records)


class ShelfLifeTooShort(LedgerError):
    """Raised in this test only: a rule the error table has never heard of."""

    def __init__(self, lot: str, days: int) -> None:
        super().__init__(f"lot {lot} has {days} days of shelf life left")
        self.lot = lot
        self.days = days


def test_any_domain_error_gets_a_type_of_its_own_and_its_attributes() -> None:
    scope = {"type": "http", "path": "/v1/shipments", "state": {"request_id": "r-1"}}

    response = domain_problem_response(scope, ShelfLifeTooShort("L-7", 12))

    assert response.status_code == 422
    assert json.loads(bytes(response.body)) == {
        "type": PROBLEM_BASE + "shelf-life-too-short",
        "title": "Shelf life too short",
        "status": 422,
        "detail": "lot L-7 has 12 days of shelf life left",
        "instance": "/v1/shipments",
        "request_id": "r-1",
        "lot": "L-7",
        "days": 12,
    }


def test_a_lost_race_is_a_conflict_the_client_may_retry() -> None:
    response = domain_problem_response(
        {"type": "http", "path": "/"}, ConcurrentUpdate("receive", 5)
    )

    assert response.status_code == 409
    assert json.loads(bytes(response.body))["type"] == PROBLEM_BASE + "concurrent-update"
