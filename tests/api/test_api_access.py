"""Who may call what: every route of the app against every role, no key and bad keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fastapi.routing
import pytest
from api_harness import (
    api_client,
    assert_problem,
    bearer,
    event_count,
    issue,
    party_body,
    product_body,
    unique,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount

from api.app import create_app
from api.keys import Role, revoke_key
from conftest import fresh_database
from ledger.store.database import Database

PUBLIC: frozenset[str] = frozenset({"anyone"})
EVENT_READERS = frozenset({Role.OPERATOR, Role.FINANCE, Role.AUDITOR, Role.REGULATOR})
# Who may call each route; a route missing here fails the test below that lists them.
ALLOWED: dict[tuple[str, str], frozenset[Any]] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/assets"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/v1/health"): PUBLIC,
    ("GET", "/v1/events"): EVENT_READERS,
    ("POST", "/v1/products"): frozenset({Role.OPERATOR}),
    ("POST", "/v1/parties"): frozenset({Role.OPERATOR}),
    ("GET", "/v1/products/{gtin}"): frozenset(Role),
    ("GET", "/v1/parties/{code}"): frozenset(Role),
}
CALLERS = [*(role.value for role in Role), "no key", "unknown key", "revoked key", "malformed key"]


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers; HEAD mirrors GET and is left out.

    Newer FastAPI keeps included routers whole in ``app.routes`` and lists their routes
    through ``iter_route_contexts``; older versions copy the routes into ``app.routes``.
    """
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    found = []
    for route in flatten(app.routes) if flatten else app.routes:
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            found.append(("GET", route.path))
        else:
            methods: set[str] = route.methods or set()
            found.extend((method, route.path) for method in methods - {"HEAD"})
    return sorted(found)


APP_ROUTES = routes(create_app())


@dataclass
class World:
    """An app with one key per caller, one registered product and one party."""

    client: TestClient
    database: Database
    tokens: dict[str, str]
    gtin: str
    party_code: str


@pytest.fixture(scope="module")
def world(server: Database) -> Iterator[World]:
    with fresh_database(server) as database, api_client(database) as client:
        tokens = {
            role.value: issue(database, role, party="DIST-001" if role is Role.PARTNER else None)
            for role in Role
        }
        revoked = issue(database, Role.OPERATOR)
        with database.connect(autocommit=True) as conn:
            revoke_key(conn, revoked.split("_")[1])
        operator = tokens[Role.OPERATOR.value]
        tokens["revoked key"] = revoked
        tokens["unknown key"] = "ldg_000000000000_" + "A" * 43
        tokens["malformed key"] = "not-a-ledger-key"
        product = product_body(unique())
        assert (
            client.post("/v1/products", json=product, headers=bearer(operator, "w-1")).status_code
            == 201
        )
        assert (
            client.post(
                "/v1/parties", json=party_body("HOSP-W"), headers=bearer(operator, "w-2")
            ).status_code
            == 201
        )
        yield World(client, database, tokens, product["gtin"], "HOSP-W")


def send(world: World, method: str, path: str, caller: str) -> Any:
    """Call the route as ``caller`` with a request it would accept from an allowed caller."""
    number = unique()
    headers = {"Idempotency-Key": f"matrix-{number}"}
    if caller in world.tokens:
        headers.update(bearer(world.tokens[caller]))
    concrete = {
        "/docs/assets": "/docs/assets/swagger-ui.css",
        "/v1/products/{gtin}": f"/v1/products/{world.gtin}",
        "/v1/parties/{code}": f"/v1/parties/{world.party_code}",
    }.get(path, path)
    body = {"/v1/products": product_body(number), "/v1/parties": party_body(f"HOSP-{number}")}
    return world.client.request(method, concrete, headers=headers, json=body.get(path))


def test_every_route_of_the_app_has_an_entry_in_the_access_table() -> None:
    assert set(APP_ROUTES) == set(ALLOWED)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), APP_ROUTES, ids=" ".join)
def test_a_route_answers_each_caller_as_its_role_allows(
    world: World, method: str, path: str, caller: str
) -> None:
    allowed = ALLOWED[(method, path)]
    before = event_count(world.database)

    response = send(world, method, path, caller)

    if allowed is PUBLIC or caller in {role.value for role in allowed}:
        assert 200 <= response.status_code < 300, response.text
    elif caller not in {role.value for role in Role}:
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")
    else:
        assert_problem(response, 403, "forbidden")
    if response.status_code >= 400:
        assert event_count(world.database) == before


def test_auditor_and_regulator_keys_are_refused_every_write(world: World) -> None:
    for role in (Role.AUDITOR, Role.REGULATOR):
        for path in ("/v1/products", "/v1/parties"):
            problem = assert_problem(send(world, "POST", path, role.value), 403, "forbidden")
            assert problem["role"] == role.value


def test_an_invalid_key_is_told_apart_from_a_missing_one(world: World) -> None:
    missing = world.client.get("/v1/events")
    revoked = world.client.get("/v1/events", headers=bearer(world.tokens["revoked key"]))

    assert "invalid_token" not in missing.headers["www-authenticate"]
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]


def test_a_key_with_a_wrong_secret_is_refused(world: World) -> None:
    prefix, key_id, secret = world.tokens[Role.OPERATOR.value].split("_", 2)
    forged = f"{prefix}_{key_id}_{secret[::-1]}"

    assert_problem(world.client.get("/v1/events", headers=bearer(forged)), 401, "unauthenticated")
