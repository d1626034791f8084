"""Hostile input from the OpenAPI description: every operation, every role, generated cases.

schemathesis generates requests from the app's own OpenAPI document (valid ones and ones
that break it) and sends each with every role's key to the app served on loopback. Every
answer must be no 5xx (but the documented 503 of a read model that has not reached a
requested position), match its documented schema, and every error must be an RFC 9457
problem document. A short run by default; ``-m long`` sends many more cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from api_harness import bearer, issue, party_body, product_body, receipt_body, unique
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from api import deps
from api.app import create_app
from api.keys import Role
from api.problems import PROBLEM_BASE, PROBLEM_JSON
from api.server import ServerThread
from conftest import fresh_database
from ledger.settings import Settings
from ledger.store.database import Database

SCHEMA = schemathesis.openapi.from_dict(create_app().openapi())
OPERATIONS = sorted(result.ok().label for result in SCHEMA.get_all_operations())
PARTNER_PARTY = "HOSP-FUZZ"
# What schemathesis would send: the ledger's keys are added per role below.
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


@dataclass
class Served:
    """The app on loopback with one key per role (and none), over data worth finding."""

    url: str
    tokens: dict[str, str | None]
    session: requests.Session


@pytest.fixture(scope="module")
def served(server: Database) -> Iterator[Served]:
    with fresh_database(server) as database, pytest.MonkeyPatch.context() as patch:
        # Generated ``min_position``s lie far ahead; their 503 need not take seconds each.
        patch.setattr(deps, "READ_WAIT_SECONDS", 0.05)
        app = create_app(Settings(pool_size=2), database=database)
        with ServerThread(app) as thread, requests.Session() as session:
            tokens: dict[str, str | None] = {
                role.value: issue(database, role) for role in Role if role is not Role.PARTNER
            }
            tokens["partner"] = issue(database, Role.PARTNER, party=PARTNER_PARTY)
            tokens["none"] = None
            _seed(session, thread.url, tokens["operator"] or "")
            yield Served(thread.url, tokens, session)


def _seed(session: requests.Session, url: str, operator: str) -> None:
    """A product, parties and a lot, so that generated reads sometimes find something."""
    product = product_body(unique())
    writes: list[tuple[str, dict[str, Any]]] = [
        ("/v1/products", product),
        ("/v1/parties", party_body("SUP-FUZZ")),
        ("/v1/parties", party_body(PARTNER_PARTY)),
        ("/v1/lots/receipts", receipt_body(product["gtin"], "FUZZ1", 50, supplier="SUP-FUZZ")),
    ]
    for path, body in writes:
        headers = bearer(operator, f"seed-{unique()}")
        response = session.post(url + path, json=body, headers=headers, timeout=30)
        assert response.status_code == 201, response.text


def no_server_errors(ctx: Any, response: Any, case: Case) -> bool | None:
    """No 5xx, except the documented back-pressure: 503 read-model-behind with Retry-After."""
    if response.status_code < 500:
        return None
    problem = response.json()
    assert response.status_code == 503, f"server error {response.status_code}: {problem}"
    assert problem["type"] == PROBLEM_BASE + "read-model-behind", problem
    assert "retry-after" in {name.lower() for name in response.headers}
    return True


def errors_are_problem_documents(ctx: Any, response: Any, case: Case) -> bool | None:
    """Every 4xx and 5xx answer is ``application/problem+json`` with the RFC 9457 members."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith(PROBLEM_JSON), f"{response.status_code} as {content_type}"
    problem = response.json()
    for member in ("type", "title", "status", "detail", "instance"):
        assert member in problem, f"problem document without {member}: {problem}"
    assert problem["status"] == response.status_code
    return True


CHECKS = [no_server_errors, response_schema_conformance, errors_are_problem_documents]


def _exercise(served: Served, label: str, examples: int) -> None:
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None
    strategy = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in MODES))

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def each_role(case: Case) -> None:
        for role, token in served.tokens.items():
            headers = dict(case.headers or {})
            headers.pop("Authorization", None)
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            if case.method.upper() == "POST" and "Idempotency-Key" not in headers:
                headers["Idempotency-Key"] = f"fuzz-{role}-{unique()}"
            case.headers = headers
            response = case.call(base_url=served.url, session=served.session, timeout=30)
            case.validate_response(response, checks=CHECKS)

    each_role()


@pytest.mark.parametrize("label", OPERATIONS)
def test_generated_requests_from_every_role_get_documented_answers_and_no_5xx(
    served: Served, label: str
) -> None:
    _exercise(served, label, examples=8)


@pytest.mark.long
@pytest.mark.parametrize("label", OPERATIONS)
def test_many_generated_requests_get_documented_answers_and_no_5xx(
    served: Served, label: str
) -> None:
    _exercise(served, label, examples=200)


# What the generated requests found, kept as plain examples.


def test_the_largest_after_position_is_refused_as_bad_input_not_a_crash(served: Served) -> None:
    response = served.session.get(
        served.url + "/v1/events",
        params={"after": str(2**63 - 1)},
        headers=bearer(served.tokens["auditor"] or ""),
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


def test_a_min_position_beyond_64_bits_is_echoed_in_the_problem_not_a_crash(
    served: Served,
) -> None:
    response = served.session.get(
        served.url + "/v1/stock",
        params={"min_position": str(10**30)},
        headers=bearer(served.tokens["operator"] or ""),
    )

    assert response.status_code == 503, response.text
    assert response.json()["min_position"] == str(10**30)


def test_a_party_code_in_another_script_gets_a_percent_encoded_location(served: Served) -> None:
    code = "医院-ힲ7"
    response = served.session.post(
        served.url + "/v1/parties",
        json=party_body(code),
        headers=bearer(served.tokens["operator"] or "", f"script-{unique()}"),
    )

    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.isascii()
    found = served.session.get(
        served.url + location, headers=bearer(served.tokens["auditor"] or "")
    )
    assert found.status_code == 200 and found.json()["code"] == code


def test_a_nul_character_in_a_query_is_bad_input_not_a_crash(served: Served) -> None:
    response = served.session.get(
        served.url + "/v1/stock",
        params={"lot": "A\x00B"},
        headers=bearer(served.tokens["operator"] or ""),
    )

    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/unstorable-value")
