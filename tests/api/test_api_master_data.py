"""Registering and reading master data over HTTP; the OpenAPI description and docs page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import api_client, assert_problem, bearer, issue, party_body, product_body, unique
from fastapi.testclient import TestClient

from api.keys import Role
from conftest import stored_rows
from ledger.domain.values import Gtin, party_id, product_id
from ledger.store.database import Database


@pytest.fixture
def operator(database: Database) -> Iterator[tuple[TestClient, str]]:
    with api_client(database) as client:
        yield client, issue(database, Role.OPERATOR)


def test_a_registered_product_reads_back_as_sent(operator: Any, database: Database) -> None:
    client, token = operator
    body = {**product_body(unique()), "storage_min_celsius": "2.50"}

    created = client.post("/v1/products", json=body, headers=bearer(token, "p-1"))
    read = client.get(
        created.headers["location"], headers=bearer(issue(database, Role.PARTNER, party="HOSP-1"))
    )

    assert created.status_code == 201
    assert created.json() == {
        "product_id": str(product_id(Gtin.parse(body["gtin"]))),
        "gtin": body["gtin"],
        "positions": [row[0] for row in stored_rows(database)],
    }
    assert read.status_code == 200
    product = read.json()
    assert {key: product[key] for key in body} == body
    assert (product["product_id"], product["version"]) == (created.json()["product_id"], 1)


def test_a_shorter_gtin_is_stored_and_found_as_14_digits(operator: Any) -> None:
    client, token = operator
    gtin13 = product_body(unique())["gtin"][1:]  # the GTIN-14s made here start with 0

    created = client.post(
        "/v1/products", json={**product_body(0), "gtin": gtin13}, headers=bearer(token, "p-13")
    )
    read = client.get(f"/v1/products/{gtin13}", headers=bearer(token))

    assert created.json()["gtin"] == "0" + gtin13
    assert read.json()["gtin"] == "0" + gtin13


def test_a_registered_party_reads_back_as_sent(operator: Any) -> None:
    client, token = operator
    body = {**party_body("DIST-900"), "role": "distributor", "grade": "B"}

    created = client.post("/v1/parties", json=body, headers=bearer(token, "party-1"))
    read = client.get("/v1/parties/DIST-900", headers=bearer(token))

    assert created.status_code == 201
    assert created.json()["party_id"] == str(party_id("DIST-900"))
    assert created.headers["location"] == "/v1/parties/DIST-900"
    assert {key: read.json()[key] for key in body} == body


def test_unknown_master_data_is_not_found(operator: Any) -> None:
    client, token = operator
    gtin = product_body(unique())["gtin"]

    product = assert_problem(
        client.get(f"/v1/products/{gtin}", headers=bearer(token)), 404, "not-found"
    )
    party = assert_problem(
        client.get("/v1/parties/NOBODY", headers=bearer(token)), 404, "not-found"
    )

    assert (product["kind"], product["key"]) == ("product", gtin)
    assert (party["kind"], party["key"]) == ("party", "NOBODY")


def test_reading_a_product_by_a_malformed_gtin_names_the_field(operator: Any) -> None:
    client, token = operator

    problem = assert_problem(
        client.get("/v1/products/12345", headers=bearer(token)), 422, "invalid-gtin"
    )

    assert problem["field"] == "gtin"


def test_the_openapi_description_documents_routes_models_and_auth(operator: Any) -> None:
    client, _token = operator

    spec = client.get("/openapi.json").json()

    register = spec["paths"]["/v1/products"]["post"]
    assert register["description"] == "Register a product in the master data."
    assert {"ApiKey": []} in register["security"]
    assert "application/problem+json" in register["responses"]["409"]["content"]
    parameters = {p["name"]: p for p in register["parameters"]}
    assert "Required on every write" in parameters["Idempotency-Key"]["description"]
    model = spec["components"]["schemas"]["RegisterProduct"]
    assert model["additionalProperties"] is False
    assert "check digit" in model["properties"]["gtin"]["description"]
    assert spec["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert "/v1/events" in spec["paths"] and "/v1/health" in spec["paths"]


def test_the_docs_page_loads_nothing_from_another_host(operator: Any) -> None:
    client, _token = operator

    page = client.get("/docs")

    assert page.status_code == 200
    assert re.findall(r"(?i)(?:https?:)?//[a-z0-9.-]+", page.text) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 3
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 1000, asset
    assert "'/openapi.json'" in page.text
    assert '"validatorUrl": null' in page.text


def test_the_root_page_links_to_the_docs(operator: Any) -> None:
    client, _token = operator

    root = client.get("/")

    assert root.status_code == 200
    assert 'href="docs"' in root.text
    assert re.findall(r"(?i)https?://", root.text) == []
